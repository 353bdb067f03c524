// The decoy sites chosen by services.http.site: their pages, their login (a form or HTTP Basic) and
// the product they run on. Pages are static text; attacker input is only ever placed escaped.
import { apache, escapeHtml, miniHttpd, nginx, type Product } from './products.js';

export interface Page {
  status: number;
  /** Content-Type; undefined sends none (as Apache does for files of unknown type). */
  type?: string;
  body: string;
  headers?: [string, string][];
  /** Set for a static file: its modification time. The product adds its file headers and serves byte ranges. */
  file?: Date;
  /** The product's own sentence for an error page, where it has several for one status (mini_httpd). */
  errorText?: string | undefined;
}

export interface PageContext {
  host: string;
  /** Whether this client has logged in (a session cookie the site set). */
  authed: boolean;
  query: URLSearchParams;
}

export interface FormLogin {
  path: string;
  userField: string;
  passField: string;
  /** The reply to a login attempt. SESSION is the cookie value to set on success. */
  result(success: boolean, user: string, session: string, ctx: PageContext): Page;
}

export interface Site {
  name: string;
  product: Product;
  page(path: string, ctx: PageContext): Page | undefined;
  form?: FormLogin;
  /** When set, every page needs HTTP Basic credentials for this realm (routers). */
  basicRealm?: string;
  /** The session cookie's name. */
  cookie: string;
  /** Extra headers on every dynamic (PHP) page. */
  dynamicHeaders?: [string, string][];
}

const HTML = 'text/html';
const HTML_UTF8 = 'text/html; charset=UTF-8';
const redirect = (location: string, extra: [string, string][] = []): Page => ({ status: 302, type: HTML_UTF8, body: '', headers: [['Location', location], ...extra] });

function apacheDefaultPage(): string {
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <title>Apache2 Debian Default Page: It works</title>
    <style type="text/css" media="screen">
  * { margin: 0px 0px 0px 0px; padding: 0px 0px 0px 0px; }
  body, html { padding: 3px 3px 3px 3px; background-color: #D8DBE2; font-family: Ubuntu, Verdana, sans-serif; font-size: 11pt; text-align: center; }
  div.main_page { position: relative; display: table; width: 800px; margin-bottom: 3px; margin-left: auto; margin-right: auto; padding: 0px 0px 0px 0px; border-width: 2px; border-color: #212738; border-style: solid; background-color: #FFFFFF; text-align: center; }
  div.page_header { height: 180px; width: 100%; background-color: #F5F6F7; }
  div.page_header span { margin: 15px 0px 0px 50px; font-size: 180%; font-weight: bold; }
  div.content_section_text { padding: 4px 8px 4px 8px; color: #000000; font-size: 100%; }
  div.section_header { padding: 3px 6px 3px 6px; background-color: #8E9CB2; color: #FFFFFF; font-weight: bold; font-size: 112%; text-align: center; }
  div.section_header_red { background-color: #CD214F; }
  pre { border: 1px dotted #000000; text-align: left; }
    </style>
  </head>
  <body>
    <div class="main_page">
      <div class="page_header floating_element">
        <img src="/icons/openlogo-75.png" alt="Debian Logo" class="floating_element"/>
        <span class="floating_element">
          Apache2 Debian Default Page
        </span>
      </div>
      <div class="content_section floating_element">
        <div class="section_header section_header_red">
          <div id="about"></div>
          It works!
        </div>
        <div class="content_section_text">
          <p>
                This is the default welcome page used to test the correct 
                operation of the Apache2 server after installation on Debian systems.
                If you can read this page, it means that the Apache HTTP server installed at
                this site is working properly. You should <b>replace this file</b> (located at
                <tt>/var/www/html/index.html</tt>) before continuing to operate your HTTP server.
          </p>
          <p>
                If you are a normal user of this web site and don't know what this page is
                about, this probably means that the site is currently unavailable due to
                maintenance.
                If the problem persists, please contact the site's administrator.
          </p>
        </div>
        <div class="section_header">
          <div id="changes"></div>
                Configuration Overview
        </div>
        <div class="content_section_text">
          <p>
                Debian's Apache2 default configuration is different from the
                upstream default configuration, and split into several files optimized for
                interaction with Debian tools. The configuration system is
                <b>fully documented in
                /usr/share/doc/apache2/README.Debian.gz</b>. Refer to this for the full
                documentation. Documentation for the web server itself can be
                found by accessing the <a href="/manual">manual</a> if the <tt>apache2-doc</tt>
                package was installed on this server.
          </p>
          <p>
                The configuration layout for an Apache2 web server installation on Debian systems is as follows:
          </p>
          <pre>
/etc/apache2/
|-- apache2.conf
|       \`--  ports.conf
|-- mods-enabled
|       |-- *.load
|       \`-- *.conf
|-- conf-enabled
|       \`-- *.conf
|-- sites-enabled
|       \`-- *.conf
          </pre>
        </div>
        <div class="section_header">
            <div id="docroot"></div>
                Document Roots
        </div>
        <div class="content_section_text">
            <p>
                By default, Debian does not allow access through the web browser to
                <em>any</em> file apart of those located in <tt>/var/www</tt>,
                <a href="http://httpd.apache.org/docs/2.4/mod/mod_userdir.html" rel="nofollow">public_html</a>
                directories (when enabled) and <tt>/usr/share</tt> (for web
                applications). If your site is using a web document root
                located elsewhere (such as in <tt>/srv</tt>) you may need to whitelist your
                document root directory in <tt>/etc/apache2/apache2.conf</tt>.
            </p>
        </div>
        <div class="section_header">
          <div id="bugs"></div>
                Reporting Problems
        </div>
        <div class="content_section_text">
          <p>
                Please use the <tt>reportbug</tt> tool to report bugs in the
                Apache2 package with Debian. However, check <a
                href="http://bugs.debian.org/cgi-bin/pkgreport.cgi?ordering=normal;archive=0;src=apache2;repeatmerged=0"
                rel="nofollow">existing bug reports</a> before reporting a new bug.
          </p>
        </div>
      </div>
    </div>
    <div class="validator">
    </div>
  </body>
</html>
`;
}

const DEFAULT_PAGE = apacheDefaultPage();
/** When Debian's apache2 package wrote index.html on this "install". */
const DEFAULT_PAGE_MTIME = new Date('2024-08-13T08:02:11Z');

function wpLoginPage(host: string, error?: string): string {
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>Log In &lsaquo; ${escapeHtml(host)} &#8212; WordPress</title>
<meta name='robots' content='max-image-preview:large, noindex, noarchive' />
<link rel='stylesheet' id='login-css' href='http://${escapeHtml(host)}/wp-admin/css/login.min.css?ver=6.4.3' media='all' />
<meta name='referrer' content='strict-origin-when-cross-origin' />
<meta name="viewport" content="width=device-width" />
</head>
<body class="login no-js login-action-login wp-core-ui  locale-en-us">
<div id="login">
<h1><a href="https://wordpress.org/">Powered by WordPress</a></h1>
${error ? `<div id="login_error" class="notice notice-error">${error}<br /></div>\n` : ''}<form name="loginform" id="loginform" action="http://${escapeHtml(host)}/wp-login.php" method="post">
<p><label for="user_login">Username or Email Address</label>
<input type="text" name="log" id="user_login" class="input" value="" size="20" autocapitalize="off" autocomplete="username" required="required" /></p>
<div class="user-pass-wrap"><label for="user_pass">Password</label>
<div class="wp-pwd"><input type="password" name="pwd" id="user_pass" class="input password-input" value="" size="20" autocomplete="current-password" spellcheck="false" required="required" /></div></div>
<p class="forgetmenot"><input name="rememberme" type="checkbox" id="rememberme" value="forever"  /> <label for="rememberme">Remember Me</label></p>
<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary button-large" value="Log In" />
<input type="hidden" name="redirect_to" value="http://${escapeHtml(host)}/wp-admin/" /><input type="hidden" name="testcookie" value="1" /></p>
</form>
<p id="nav"><a href="http://${escapeHtml(host)}/wp-login.php?action=lostpassword">Lost your password?</a></p>
<p id="backtoblog"><a href="http://${escapeHtml(host)}/">&larr; Go to ${escapeHtml(host)}</a></p>
</div>
</body>
</html>
`;
}

function wpHome(host: string): string {
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>${escapeHtml(host)} &#8211; Just another WordPress site</title>
<link rel="alternate" type="application/rss+xml" title="${escapeHtml(host)} &raquo; Feed" href="http://${escapeHtml(host)}/feed/" />
<link rel="https://api.w.org/" href="http://${escapeHtml(host)}/wp-json/" />
<link rel="EditURI" type="application/rsd+xml" title="RSD" href="http://${escapeHtml(host)}/xmlrpc.php?rsd" />
<meta name="generator" content="WordPress 6.4.3" />
</head>
<body class="home blog wp-embed-responsive">
<div class="wp-site-blocks"><header class="wp-block-template-part"><p class="wp-block-site-title"><a href="http://${escapeHtml(host)}" rel="home">${escapeHtml(host)}</a></p></header>
<main class="wp-block-group"><h2 class="wp-block-post-title"><a href="http://${escapeHtml(host)}/?p=1">Hello world!</a></h2>
<div class="wp-block-post-excerpt"><p class="wp-block-post-excerpt__excerpt">Welcome to WordPress. This is your first post. Edit or delete it, then start writing! </p></div></main>
<footer class="wp-block-template-part"><p class="has-text-align-center">Proudly powered by <a href="https://wordpress.org" rel="nofollow">WordPress</a></p></footer></div>
</body>
</html>
`;
}

function pmaLogin(error?: string): string {
  return `<!DOCTYPE HTML>
<html lang="en" dir="ltr">
<head>
  <meta charset="utf-8">
  <meta name="referrer" content="no-referrer">
  <meta name="robots" content="noindex,nofollow,notranslate">
  <meta name="google" content="notranslate">
  <link rel="icon" href="favicon.ico" type="image/x-icon">
  <link rel="stylesheet" type="text/css" href="./themes/pmahomme/css/theme.css?v=5.2.1">
  <title>phpMyAdmin</title>
</head>
<body id="loginform">
<div class="container">
<a href="./url.php?url=https%3A%2F%2Fwww.phpmyadmin.net%2F" target="_blank" rel="noopener noreferrer" class="logo"><img src="./themes/pmahomme/img/logo_right.png" id="imLogo" name="imLogo" alt="phpMyAdmin" border="0"></a>
<h1>Welcome to <bdo dir="ltr" lang="en">phpMyAdmin</bdo></h1>
${error ? `<div class="alert alert-danger" role="alert"><img src="themes/dot.gif" title="" alt="" class="icon ic_s_error"> ${error}</div>\n` : ''}<form method="post" id="login_form" action="index.php?route=/" name="login_form" class="disableAjax hide js-show">
<fieldset class="pma-fieldset"><legend>Log in</legend>
<div class="item"><label for="input_username">Username:</label><input type="text" name="pma_username" id="input_username" value="" size="24" class="textfield" autocomplete="username" spellcheck="false"></div>
<div class="item"><label for="input_password">Password:</label><input type="password" name="pma_password" id="input_password" value="" size="24" class="textfield" autocomplete="current-password" spellcheck="false"></div>
<input type="hidden" name="server" value="1">
</fieldset><fieldset class="pma-fieldset tblFooters"><input class="btn btn-primary" value="Log in" type="submit" id="input_go">
<input type="hidden" name="route" value="/"><input type="hidden" name="lang" value="en"></fieldset>
</form>
</div>
</body>
</html>
`;
}

function nasLogin(host: string): string {
  return `<!DOCTYPE html>
<html class="img-no-repeat">
<head>
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<meta name="description" content="DiskStation provides a full-featured network attached storage (NAS) solution to help you manage, backup and share data among Windows, Mac and Linux easily." />
<title>${escapeHtml(host.split('.')[0]!)}&nbsp;-&nbsp;Synology&nbsp;DiskStation</title>
<link rel="stylesheet" type="text/css" href="scripts/ext-3/resources/css/ext-all.css?v=42962" />
</head>
<body>
<div id="sds-login-vue-inst">
<form id="login-form" method="post" action="/webapi/entry.cgi?api=SYNO.API.Auth">
<input type="text" name="account" placeholder="Username" autocomplete="username" />
<input type="password" name="passwd" placeholder="Password" autocomplete="current-password" />
<input type="hidden" name="version" value="7" /><input type="hidden" name="method" value="login" />
<button type="submit">Sign In</button>
</form>
</div>
<noscript><div class="syno-noscript">Your browser does not support JavaScript. Please enable JavaScript to use DSM.</div></noscript>
</body>
</html>
`;
}

function routerStatus(model: string): string {
  return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>${model}</title></head>
<frameset rows="90,*" border="0"><frame name="topFrame" src="/top.htm" scrolling="no"><frameset cols="180,*"><frame name="bottomLeftFrame" src="/menu.htm"><frame name="mainFrame" src="/status.htm"></frameset></frameset>
</html>
`;
}

/** Builds the site named NAME for HOST. */
/**
 * What the server itself serves under every site: Debian's Apache aliases /icons/ to
 * /usr/share/apache2/icons, whose directories have no index and no Indexes option (403).
 */
export function serverPage(product: Product, path: string): Page | undefined {
  if (product.name !== 'apache') return undefined;
  if (path === '/icons/' || path === '/icons/small/') return { status: 403, body: '' };
  return undefined;
}

export function makeSite(name: 'apache-default' | 'wordpress' | 'phpmyadmin' | 'nas-login' | 'router-login'): Site {
  switch (name) {
    case 'apache-default':
      return {
        name,
        product: apache(),
        cookie: 'PHPSESSID',
        page: (path) => (path === '/' || path === '/index.html' ? { status: 200, type: HTML, body: DEFAULT_PAGE, file: DEFAULT_PAGE_MTIME } : undefined),
      };
    case 'wordpress': {
      const dyn: [string, string][] = [['Link', '</wp-json/>; rel="https://api.w.org/"']];
      return {
        name,
        product: apache(),
        cookie: 'wordpress_logged_in_1f3870be274f6c49b3e31a0c6728957f',
        dynamicHeaders: dyn,
        page(path, ctx) {
          if (path === '/' || path === '/index.php') return { status: 200, type: HTML_UTF8, body: wpHome(ctx.host), headers: dyn };
          if (path === '/wp-login.php')
            return {
              status: 200,
              type: HTML_UTF8,
              body: wpLoginPage(ctx.host),
              headers: [
                ['Expires', 'Wed, 11 Jan 1984 05:00:00 GMT'],
                ['Cache-Control', 'no-cache, must-revalidate, max-age=0, no-store, private'],
                ['Set-Cookie', 'wordpress_test_cookie=WP%20Cookie%20check; path=/'],
                ['X-Frame-Options', 'SAMEORIGIN'],
              ],
            };
          if (path === '/wp-admin' || path === '/wp-admin/') {
            if (!ctx.authed) return redirect(`http://${ctx.host}/wp-login.php?redirect_to=http%3A%2F%2F${encodeURIComponent(ctx.host)}%2Fwp-admin%2F&reauth=1`);
            return { status: 200, type: HTML_UTF8, body: `<!DOCTYPE html>\n<html lang="en-US"><head><title>Dashboard &lsaquo; ${escapeHtml(ctx.host)} &#8212; WordPress</title></head><body class="wp-admin"><div id="wpbody"><h1>Dashboard</h1><p>Welcome to WordPress!</p></div></body></html>\n` };
          }
          if (path === '/xmlrpc.php') return { status: 405, type: 'text/plain;charset=UTF-8', body: 'XML-RPC server accepts POST requests only.', headers: [['Allow', 'POST']] };
          if (path === '/readme.html') return { status: 200, type: HTML, body: '<!DOCTYPE html>\n<html lang="en">\n<head><title>WordPress &#8250; ReadMe</title></head>\n<body><h1 id="logo">WordPress</h1>\n<p style="text-align: center">Semantic Personal Publishing Platform</p>\n</body>\n</html>\n' };
          return undefined;
        },
        form: {
          path: '/wp-login.php',
          userField: 'log',
          passField: 'pwd',
          result(success, user, session, ctx) {
            if (success) return redirect(`http://${ctx.host}/wp-admin/`, [['Set-Cookie', `wordpress_logged_in_1f3870be274f6c49b3e31a0c6728957f=${session}; path=/; HttpOnly`]]);
            return {
              status: 200,
              type: HTML_UTF8,
              body: wpLoginPage(ctx.host, `<strong>Error:</strong> The password you entered for the username <strong>${escapeHtml(user.slice(0, 100))}</strong> is incorrect. <a href="http://${escapeHtml(ctx.host)}/wp-login.php?action=lostpassword">Lost your password?</a>`),
              headers: [['Cache-Control', 'no-cache, must-revalidate, max-age=0, no-store, private']],
            };
          },
        },
      };
    }
    case 'phpmyadmin':
      return {
        name,
        product: apache(),
        cookie: 'phpMyAdmin',
        page(path, ctx) {
          if (path === '/' || path === '/index.php') {
            if (ctx.authed) return { status: 200, type: HTML_UTF8, body: '<!DOCTYPE HTML>\n<html lang="en" dir="ltr"><head><title>localhost / localhost | phpMyAdmin 5.2.1</title></head><body><div id="maincontainer"><h2>General settings</h2><p>Server: localhost via UNIX socket</p><p>Server version: 10.11.6-MariaDB-0+deb12u1 - Debian 12</p></div></body></html>\n' };
            return {
              status: 200,
              type: HTML_UTF8,
              body: pmaLogin(),
              headers: [
                ['Cache-Control', 'no-store, no-cache, must-revalidate,  pre-check=0, post-check=0, max-age=0'],
                ['X-Frame-Options', 'DENY'],
                ['X-Robots-Tag', 'noindex, nofollow'],
                ['Set-Cookie', 'phpMyAdmin=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; path=/; HttpOnly'],
              ],
            };
          }
          return undefined;
        },
        form: {
          path: '/index.php',
          userField: 'pma_username',
          passField: 'pma_password',
          result(success, _user, session, ctx) {
            if (success) return redirect(`http://${ctx.host}/index.php?route=/`, [['Set-Cookie', `phpMyAdmin=${session}; path=/; HttpOnly`]]);
            return { status: 200, type: HTML_UTF8, body: pmaLogin('mysqli::real_connect(): (HY000/1045): Access denied for user') };
          },
        },
      };
    case 'nas-login':
      return {
        name,
        product: nginx(),
        cookie: 'id',
        page(path, ctx) {
          if (path === '/') return { status: 200, type: HTML_UTF8, body: nasLogin(ctx.host), headers: [['X-Content-Type-Options', 'nosniff'], ['X-XSS-Protection', '1; mode=block'], ['Cache-control', 'no-store']] };
          return undefined;
        },
        form: {
          path: '/webapi/entry.cgi',
          userField: 'account',
          passField: 'passwd',
          result(success, _user, session) {
            if (success) return { status: 200, type: 'application/json; charset="UTF-8"', body: `{"data":{"did":"","is_portal_port":false,"sid":"${session}"},"success":true}`, headers: [['Set-Cookie', `id=${session}; path=/; HttpOnly`]] };
            return { status: 200, type: 'application/json; charset="UTF-8"', body: '{"error":{"code":400},"success":false}' };
          },
        },
      };
    case 'router-login': {
      const model = 'TL-WR841N';
      return {
        name,
        product: miniHttpd(),
        cookie: 'Authorization',
        basicRealm: `TP-LINK Wireless N Router WR841N`,
        page: (path) => (path === '/' || path === '/index.htm' ? { status: 200, type: HTML, body: routerStatus(model) } : undefined),
      };
    }
  }
}
