// The honeynet's small certificate authority: the collector's CA signs its own server certificate
// and one client certificate per enrolled sensor (mutual TLS). Enrolment tokens carry the CA's
// fingerprint, so a new sensor trusts only the collector that issued its token.
import { createHash, generateKeyPairSync, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { ApiaryError } from '../errors/errors.js';
import { keyFileError, readKeyFiles } from './key-files.js';

type WebCryptoKey = webcrypto.CryptoKey;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Sensor names: what the config's `sensor` key allows. */
export const SENSOR_NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
/** The common name of the collector's server certificate; no sensor may take it. */
export const COLLECTOR_CN = 'apiary-collector';
export const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

export interface KeyPairPem {
  key: string;
  cert: string;
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function pkcs8Pem(der: ArrayBuffer): string {
  return `-----BEGIN PRIVATE KEY-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
}

async function importSigningKey(pem: string): Promise<WebCryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', pemToDer(pem), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}

/** SHA-256 of a certificate's DER, lowercase hex: what an enrolment token pins. */
export function certFingerprint(pem: string): string {
  return createHash('sha256').update(new NodeX509(pem).raw).digest('hex');
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** The CA in DIR (ca.key, ca.pem), made on first use. Several collectors share one by copying DIR. */
export class CertificateAuthority {
  private constructor(readonly dir: string, readonly certPem: string, private readonly keyPem: string) {}

  /**
   * A CA is made only where neither file exists: one made beside a lone ca.pem or ca.key (a copy for
   * a second collector that missed one) would lock out every enrolled sensor, so that stops with
   * APIARY_CA, as does a file this user cannot read.
   */
  static async loadOrCreate(dir: string): Promise<CertificateAuthority> {
    const certPath = join(dir, 'ca.pem');
    const keyPath = join(dir, 'ca.key');
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw keyFileError('APIARY_CA', dir, err);
    }
    const have = readKeyFiles({ cert: certPath, key: keyPath }, 'APIARY_CA');
    if (have.cert !== undefined && have.key !== undefined) return new CertificateAuthority(dir, have.cert, have.key);
    if (have.cert !== undefined || have.key !== undefined) {
      const missing = have.cert === undefined ? certPath : keyPath;
      throw new ApiaryError('APIARY_CA', `${missing} is missing beside ${have.cert === undefined ? keyPath : certPath}: copy the whole ca directory from the collector that made it (key collector.ca_dir); a new CA would refuse every enrolled sensor (before any sensor enrolled, remove the directory to have a new CA made)`);
    }
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
      name: `CN=Apiary honeynet CA ${randomBytes(4).toString('hex')}`,
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + 20 * 365 * DAY_MS),
      keys,
      signingAlgorithm: EC,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
    });
    const keyPem = pkcs8Pem((await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) as ArrayBuffer);
    try {
      writeAtomic(keyPath, keyPem);
      writeAtomic(certPath, cert.toString('pem'));
    } catch (err) {
      throw keyFileError('APIARY_CA', keyPath, err);
    }
    return new CertificateAuthority(dir, cert.toString('pem'), keyPem);
  }

  get fingerprint(): string {
    return certFingerprint(this.certPem);
  }

  private async issue(subjectCn: string, publicKeyPem: string, usage: 'server' | 'client', names: readonly string[], days: number): Promise<{ cert: string; serial: string }> {
    const ca = new x509.X509Certificate(this.certPem);
    const publicKey = await new x509.PublicKey(pemToDer(publicKeyPem)).export(EC, ['verify']);
    const serial = randomBytes(16).toString('hex').replace(/^[89a-f]/, '1');
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? SERVER_AUTH_OID : CLIENT_AUTH_OID], true),
    ];
    if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? 'ip' : 'dns', value: n }))));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `CN=${subjectCn}`,
      issuer: ca.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + days * DAY_MS),
      publicKey,
      signingKey: await importSigningKey(this.keyPem),
      signingAlgorithm: EC,
      extensions,
    });
    return { cert: cert.toString('pem'), serial: normaliseSerial(serial) };
  }

  /** A client certificate for sensor NAME over the sensor's own public key (SPKI PEM). */
  async issueSensorCert(name: string, publicKeyPem: string): Promise<{ cert: string; serial: string }> {
    if (!SENSOR_NAME_RE.test(name) || name === COLLECTOR_CN) throw new RangeError(`bad sensor name ${JSON.stringify(name)}`);
    return this.issue(name, publicKeyPem, 'client', [], 10 * 365);
  }

  /** The collector's server key and certificate for NAMES (IP addresses or DNS names), made fresh at each start. */
  async issueServerCert(names: readonly string[]): Promise<KeyPairPem> {
    const { publicKey, privateKey } = newKeyPair();
    const { cert } = await this.issue(COLLECTOR_CN, publicKey, 'server', names, 825);
    return { key: privateKey, cert };
  }
}

/** A fresh P-256 key pair as PEM (SPKI public, PKCS#8 private). */
export function newKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
}

/** Serial numbers as Node prints them: uppercase hex without leading zeros. */
export function normaliseSerial(hex: string): string {
  return hex.replace(/^0+/, '').toUpperCase();
}

/** An enrolment token: apiary1.NAME.SECRET.CA_FINGERPRINT (the secret is 32 random bytes). */
export interface EnrolmentToken {
  name: string;
  secret: string;
  caFingerprint: string;
}

export function formatToken(t: EnrolmentToken): string {
  return `apiary1.${t.name}.${t.secret}.${t.caFingerprint}`;
}

export function parseToken(s: string): EnrolmentToken | undefined {
  const m = /^apiary1\.([A-Za-z0-9._-]{1,128})\.([A-Za-z0-9_-]{43})\.([0-9a-f]{64})$/.exec(s.trim());
  if (!m) return undefined;
  return { name: m[1]!, secret: m[2]!, caFingerprint: m[3]! };
}

export function newEnrolmentSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What the store keeps for a token: its hash only, so a database read does not hand out enrolments. */
export function tokenKey(secret: string): string {
  return `enroll:${createHash('sha256').update(secret).digest('hex')}`;
}
