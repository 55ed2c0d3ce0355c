import { describe, expect, it } from 'vitest';
import { findSecret, redactSecrets, secretIn, secretsOf } from '../../src/core/guards.js';
import { shannonEntropy } from '../../src/core/secret-scan.js';

/**
 * The secret scanner against gitleaks' rules (issue 16). Every token below is assembled at run
 * time from a seeded generator, so this file holds no string that looks like a real secret to
 * any scanner (ours, gitleaks, GitHub's push protection).
 */
let seed = 7;
function random(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    seed = (seed * 48271) % 2147483647;
    out += alphabet[seed % alphabet.length];
  }
  return out;
}
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';
const B32 = UPPER + '234567';
const B64 = ALNUM + '+/';
const WORD = ALNUM + '_-';
const BECH32 = 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L';
const digits = (n: number) => random('123456789', 1) + random(DIGITS, n - 1);
const j = (...parts: string[]) => parts.join('');

const pem = (kind: string, end: boolean) =>
  j('-----BEGIN ', kind, ' PRIVATE KEY-----\n', random(B64, 64), '\n', random(B64, 64), '\n', random(B64, 40), '==\n', end ? j('-----END ', kind, ' PRIVATE KEY-----\n') : '');

const TRUE_CASES: Array<[string, string]> = [
  ['github-pat', j('gh', 'p_', random(ALNUM, 36))],
  ['github-oauth', j('gh', 'o_', random(ALNUM, 36))],
  ['github-app-token', j('gh', 'u_', random(ALNUM, 36))],
  ['github-app-token', j('gh', 's_', random(ALNUM, 36))],
  ['github-refresh-token', j('gh', 'r_', random(ALNUM, 36))],
  ['github-fine-grained-pat', j('github', '_pat_', random(ALNUM + '_', 82))],
  ['gitlab-pat', j('gl', 'pat-', random(WORD, 20))],
  ['gitlab-deploy-token', j('gl', 'dt-', random(WORD, 20))],
  ['slack-bot-token', j('xo', 'xb-', digits(12), '-', digits(13), '-', random(ALNUM, 24))],
  ['slack-webhook-url', j('https://hooks.', 'slack.com/services/', 'T', random(UPPER + DIGITS, 8), '/B', random(UPPER + DIGITS, 10), '/', random(ALNUM, 24))],
  ['anthropic-api-key', j('sk', '-ant-api03-', random(WORD, 93), 'AA')],
  ['anthropic-admin-api-key', j('sk', '-ant-admin01-', random(WORD, 93), 'AA')],
  ['openai-api-key', j('sk', '-proj-', random(WORD, 74), 'T3Blbk', 'FJ', random(WORD, 74))],
  ['openai-project-key', j('sk', '-proj-', random(ALNUM, 48))],
  ['aws-access-token', j('AK', 'IA', random(B32, 15), '7')],
  ['aws-access-token', j('AS', 'IA', random(B32, 15), '3')],
  ['aws-secret-access-key', j('aws_secret', '_access_key = ', random(B64, 40))],
  ['gcp-api-key', j('AI', 'za', random(WORD, 35))],
  ['stripe-access-token', j('sk', '_live_', random(ALNUM, 24))],
  ['stripe-access-token', j('rk', '_live_', random(ALNUM, 24))],
  ['jwt', j('ey', 'JhbGciOiJIUzI1NiJ9', '.', 'ey', 'JzdWIiOi', random(ALNUM, 20), '.', random(WORD, 43))],
  ['private-key', pem('RSA', true)],
  ['private-key-body', pem('OPENSSH', false)],
  ['password-in-url', j('postgres://admin:', random(ALNUM, 8), '3@db.example.com/app')],
  ['password-in-url', j('redis://:', random(ALNUM, 8), '@cache.internal:6379')],
  ['password-in-url', j('amqps://worker:', random(ALNUM, 12), '@mq.example.org')],
  ['npm-access-token', j('np', 'm_', random(LOWER + DIGITS, 36))],
  ['pypi-upload-token', j('pypi-AgEIcHlwaS5', 'vcmc', random(WORD, 60))],
  ['huggingface-access-token', j('h', 'f_', random(LOWER + UPPER, 34))],
  ['sendgrid-api-token', j('S', 'G.', random(ALNUM, 22), '.', random(ALNUM, 43))],
  ['twilio-api-key', j('S', 'K', random(HEX, 32))],
  ['digitalocean-pat', j('dop', '_v1_', random(HEX, 64))],
  ['shopify-access-token', j('shp', 'at_', random(HEX, 32))],
  ['linear-api-key', j('lin', '_api_', random(ALNUM, 40))],
  ['databricks-api-token', j('da', 'pi', random(HEX, 32))],
  ['doppler-api-token', j('dp', '.pt.', random(ALNUM, 43))],
  ['age-secret-key', j('AGE-SECRET', '-KEY-1', random(BECH32, 58))],
  ['vault-service-token', j('hv', 's.', random(WORD, 95))],
  ['sentry-user-token', j('sntr', 'yu_', random(HEX, 64))],
  ['pulumi-api-token', j('pu', 'l-', random(HEX, 40))],
  ['perplexity-api-key', j('pp', 'lx-', random(ALNUM, 48))],
  ['grafana-service-account-token', j('gl', 'sa_', random(ALNUM, 32), '_', random(HEX, 8))],
  ['generic-api-key', j('api_key = ', random(ALNUM, 32))],
  ['generic-api-key', j('client_secret: "', random(ALNUM, 40), '"')],
  ['generic-api-key', j('DB_PASSWORD=', random(ALNUM, 20), '9')],
  ['curl-auth-header', j('curl -H "Authorization: Bearer ', random(ALNUM, 40), '" https://api.example.com/v1')],
];

const LOOK_ALIKES: string[] = [
  'sk-learn-pipeline-refactor-for-feature-engineering',
  'ASIAPACIFICSOUTHEAST',
  j('AKIA', 'IOSFODNN7', 'EXAMPLE'), // the key id of AWS's documentation
  j('gh', 'p_', 'a'.repeat(36)), // a placeholder: no randomness
  'https://user:${PASSWORD}@db.example.com/app',
  'postgres://user:<password>@localhost/app',
  'redis://:****@cache.internal',
  'https://example.com/path?next=/a:b',
  'git@github.com:org/repo.git',
  'Tests green after the auth refactor',
  'password: see the vault entry for staging',
  'api_key=${API_KEY}',
  'the -----BEGIN RSA PRIVATE KEY----- header is what we grep for',
  'token_count=12345678901',
  j('primaryKey=', random(ALNUM, 30)),
  'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
  'c0ffee00-1234-4abc-8def-0123456789ab',
  'sk-ant-api03-short',
  'keyboard shortcuts: ctrl+k opens search',
  'author = jane.doe@example.com',
  'hey, they keep the money, the task, the api and the key in the survey',
  'ghp_tooshort and AIzaSyShort',
  'ev-0123456789 at 2026-03-05T14:15:02.123Z',
  'xoxb-not-a-token',
  'secret_length = X25519.secret_length',
  'Use the access token flow from docs/auth.md; the secret lives in the vault.',
];

describe('secret scanner: gitleaks rules and ours', () => {
  it('has the promised table size', () => {
    expect(TRUE_CASES.length).toBeGreaterThanOrEqual(40);
    expect(LOOK_ALIKES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(TRUE_CASES)('finds %s', (rule, secret) => {
    expect(secretIn(secret)).toBe(rule);
    expect(findSecret({ summary: `deploy notes: ${secret} (rotated)` })).toEqual({ field: 'summary', rule });
  });

  it.each(LOOK_ALIKES)('lets through %s', (text) => {
    expect(secretIn(text)).toBeUndefined();
  });

  it('scans keys as well as values, and never names the key', () => {
    const token = TRUE_CASES[0]![1];
    expect(findSecret({ data: { [token]: 1 } })).toEqual({ field: 'a key in data', rule: 'github-pat' });
    expect(findSecret({ [token]: 'x' })).toEqual({ field: 'a key', rule: 'github-pat' });
    expect(findSecret({ data: { list: ['ok', token] } })?.field).toBe('data.list[1]');
  });

  it('redacts every secret in a text and keeps the rest', () => {
    const token = TRUE_CASES[0]![1];
    const key = pem('RSA', true);
    const text = `error: unknown option '${key}' and ${token}; redis://:${random(ALNUM, 10)}@h`;
    const redacted = redactSecrets(text);
    expect(redacted).toBe("error: unknown option '[redacted: private-key]\n' and [redacted: github-pat]; [redacted: password-in-url]");
    expect(redactSecrets('nothing to hide here')).toBe('nothing to hide here');
  });

  it('redacts what the command line held, wherever a message quotes it out of context', () => {
    const jwt = TRUE_CASES.find(([rule]) => rule === 'jwt')![1];
    const message = `--attach ${jwt}: no such file`;
    expect(secretIn(message)).toBeUndefined(); // out of its context the rule no longer matches
    const known = secretsOf(['log', 'x', '--attach', jwt]);
    expect(known).toContainEqual([jwt, 'jwt']);
    expect(redactSecrets(message, known)).toBe('--attach [redacted: jwt]: no such file');
    expect(secretsOf(['log', 'nothing secret', 'sk-learn-pipeline-refactor-for-feature-engineering'])).toEqual([]);
  });

  it('computes Shannon entropy as gitleaks does', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });
});
