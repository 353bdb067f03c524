// WordPress XML-RPC logins (xmlrpc.php): the calls brute-forcers use (wp.getUsersBlogs, and many at
// once inside system.multicall), decoded to username/password pairs, and WordPress's replies.
// Pure: a body in, calls out; never throws; bounded by MAX_XMLRPC_CALLS.

/** Login calls taken from one request (a multicall may carry hundreds; the rest are ignored). */
export const MAX_XMLRPC_CALLS = 100;
/** Longest body inspected. */
export const MAX_XMLRPC_BODY_CHARS = 256 * 1024;

/** Methods whose first two parameters are a username and a password. */
const LOGIN_METHODS = /^(?:wp\.(?:getUsersBlogs|getProfile|getUsers|getOptions|getPosts)|blogger\.getUsersBlogs|metaWeblog\.getRecentPosts)$/;

export interface XmlRpcLogin {
  method: string;
  username: string;
  password: string;
}

export interface XmlRpcRequest {
  method: string;
  logins: XmlRpcLogin[];
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/gi, (m, e: string) => {
    const k = e.toLowerCase();
    if (k === 'amp') return '&';
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'quot') return '"';
    if (k === 'apos') return "'";
    const code = k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

/**
 * One <value>: typed, or untyped text up to the next tag (verbatim, as XML-RPC reads it). Each alternative can match
 * whitespace in only one way: `\s*` on both sides of an untyped `[^<]*` backtracked in cubic time on a
 * <value> of spaces without its end tag (800 spaces took a second, a whole body minutes).
 */
const VALUE = /<value>(?:\s*<(string|int|i4|boolean|double)>([^<]*)<\/\1>\s*|([^<]*))<\/value>/g;

/** The scalar values of a <params> or multicall params array, in order (typed or untyped). */
function values(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(VALUE)) out.push(unescapeXml(m[2] ?? m[3] ?? ''));
  return out;
}

/** Decodes an XML-RPC methodCall body; undefined when it is not one. */
export function decodeXmlRpc(body: string): XmlRpcRequest | undefined {
  const text = body.length > MAX_XMLRPC_BODY_CHARS ? body.slice(0, MAX_XMLRPC_BODY_CHARS) : body;
  // Found with indexOf, not one regex: `<methodCall>...([\s\S]*)<\/methodCall>` rescanned the rest of
  // the body from every <methodCall> in it, quadratic in a body of many unclosed ones.
  const start = text.indexOf('<methodCall>');
  const end = text.lastIndexOf('</methodCall>');
  if (start < 0 || end < start) return undefined;
  const name = /^\s*<methodName>\s*([\w.]{1,64})\s*<\/methodName>/.exec(text.slice(start + '<methodCall>'.length, end));
  if (!name) return undefined;
  const method = name[1]!;
  const rest = text.slice(start + '<methodCall>'.length + name[0].length, end);
  const logins: XmlRpcLogin[] = [];
  const credentials = (m: string, v: string[]): void => {
    // wp.getUsersBlogs(username, password); the others put a blog id or app key first.
    const [user, pass] = m === 'wp.getUsersBlogs' ? [v[0], v[1]] : [v[1], v[2]];
    if (LOGIN_METHODS.test(m) && user !== undefined && pass !== undefined && logins.length < MAX_XMLRPC_CALLS) logins.push({ method: m, username: user, password: pass });
  };
  if (method === 'system.multicall') {
    // Each call is a struct {methodName, params[]}; splitting at each methodName keeps this linear.
    const parts = rest.split('<name>methodName</name>').slice(1);
    for (const part of parts) {
      const name = /^\s*<value>\s*(?:<string>)?([\w.]{1,64})/.exec(part)?.[1];
      const at = part.indexOf('<name>params</name>');
      if (name && at >= 0) credentials(name, values(part.slice(at)));
      if (logins.length >= MAX_XMLRPC_CALLS) break;
    }
  } else credentials(method, values(rest));
  return { method, logins };
}

const FAULT = '<struct>\n  <member>\n    <name>faultCode</name>\n    <value><int>403</int></value>\n  </member>\n  <member>\n    <name>faultString</name>\n    <value><string>Incorrect username or password.</string></value>\n  </member>\n</struct>';

function blogs(host: string): string {
  const h = host.replace(/[<&>"']/g, '');
  return `<array><data>\n  <value><struct>\n  <member><name>isAdmin</name><value><boolean>1</boolean></value></member>\n  <member><name>url</name><value><string>http://${h}/</string></value></member>\n  <member><name>blogid</name><value><string>1</string></value></member>\n  <member><name>blogName</name><value><string>${h}</string></value></member>\n  <member><name>xmlrpc</name><value><string>http://${h}/xmlrpc.php</string></value></member>\n</struct></value>\n</data></array>`;
}

/** WordPress's reply to REQ, given which logins succeeded (same order as req.logins). */
export function encodeXmlRpcReply(req: XmlRpcRequest, ok: readonly boolean[], host: string): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>\n';
  if (req.method === 'system.multicall') {
    const items = req.logins.map((_, i) => `  <value>${ok[i] ? `<array><data><value>${blogs(host)}</value></data></array>` : FAULT}</value>`).join('\n');
    return `${head}  <params>\n    <param>\n      <value>\n      <array><data>\n${items}\n</data></array>\n      </value>\n    </param>\n  </params>\n</methodResponse>\n`;
  }
  if (req.logins.length > 0) {
    if (ok[0]) return `${head}  <params>\n    <param>\n      <value>\n      ${blogs(host)}\n      </value>\n    </param>\n  </params>\n</methodResponse>\n`;
    return `${head}  <fault>\n    <value>\n      ${FAULT}\n    </value>\n  </fault>\n</methodResponse>\n`;
  }
  if (req.method === 'system.listMethods' || req.method === 'demo.sayHello') {
    const list = req.method === 'demo.sayHello' ? '<string>Hello!</string>' : `<array><data>\n${['system.multicall', 'system.listMethods', 'system.getCapabilities', 'demo.addTwoNumbers', 'demo.sayHello', 'pingback.extensions.getPingbacks', 'pingback.ping', 'wp.getUsersBlogs', 'wp.getProfile', 'wp.getUsers', 'wp.getOptions', 'wp.getPosts', 'metaWeblog.getRecentPosts', 'blogger.getUsersBlogs'].map((m) => `  <value><string>${m}</string></value>`).join('\n')}\n</data></array>`;
    return `${head}  <params>\n    <param>\n      <value>\n      ${list}\n      </value>\n    </param>\n  </params>\n</methodResponse>\n`;
  }
  return `${head}  <fault>\n    <value>\n      <struct>\n  <member>\n    <name>faultCode</name>\n    <value><int>-32601</int></value>\n  </member>\n  <member>\n    <name>faultString</name>\n    <value><string>server error. requested method ${req.method.replace(/[^\w.]/g, '')} does not exist.</string></value>\n  </member>\n</struct>\n    </value>\n  </fault>\n</methodResponse>\n`;
}
