import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { redact, redactUrl, redactUrlIn, REDACTED, safeUrl, urlSecrets } from '../src/redact.ts';
import { runCli } from '../src/cli/main.ts';
import { openDb } from '../src/store/index.ts';
import { captureContext } from './helpers/cli.ts';
import { DATABASE_URL, uniqueSchema } from './store/support.ts';

describe('redactUrl', () => {
  test('every form an operator may write keeps user, host and database and loses the password', () => {
    const cases: [string, string][] = [
      ['postgres://sluice:s3cret@db.example:5432/metrics', `postgres://sluice:${REDACTED}@db.example:5432/metrics`],
      ['postgres://sluice@db:5432/metrics', 'postgres://sluice@db:5432/metrics'],
      ['postgres://db:5432/metrics', 'postgres://db:5432/metrics'],
      // An empty user name.
      ['postgres://:pw@127.0.0.1:5432/test', `postgres://:${REDACTED}@127.0.0.1:5432/test`],
      // Reserved characters left unencoded in the password: everything up to the last @ is user info.
      ['postgres://u:SEC@RET4@127.0.0.1:5432/test', `postgres://u:${REDACTED}@127.0.0.1:5432/test`],
      ['postgres://u:a/b?c#d@h/db', `postgres://u:${REDACTED}@h/db`],
      // Unparsable: a bad percent escape, a broken host.
      ['postgres://u:SECRET%ZZ3@127.0.0.1/test', `postgres://u:${REDACTED}@127.0.0.1/test`],
      ['postgres://u:SECRET5@[bad/test', `postgres://u:${REDACTED}@[bad/test`],
      // Credentials as query parameters, with other parameters kept.
      ['postgres://postgres@127.0.0.1:5432/test?password=SECRETQ1', `postgres://postgres@127.0.0.1:5432/test?password=${REDACTED}`],
      ['postgres://h/db?sslmode=require&password=x%20y&application_name=s', `postgres://h/db?sslmode=require&password=${REDACTED}&application_name=s`],
      ['postgres://h/db?sslpassword=k&sslkey=/etc/k.pem', `postgres://h/db?sslpassword=${REDACTED}&sslkey=${REDACTED}`],
      // Quotes mean nothing in a query: the whole value goes, not just a leading quoted part.
      ["postgres://a@a/a?sslmode=disable&password=''%20%20!", `postgres://a@a/a?sslmode=disable&password=${REDACTED}`],
      // libpq's keyword form, quoted or not.
      ['host=127.0.0.1 password=SECRET6 dbname=test', `host=127.0.0.1 password=${REDACTED} dbname=test`],
      ["host=h password='a b\\' c' user=u", `host=h password=${REDACTED} user=u`],
    ];
    for (const [url, expected] of cases) assert.equal(redactUrl(url), expected, url);
  });

  test('urlSecrets finds the password as written and decoded, and every credential parameter', () => {
    assert.deepEqual(urlSecrets('postgres://u:p%40ss@h/db?password=q&token=t'), ['p%40ss', 'p@ss', 'q', 't']);
    assert.deepEqual(urlSecrets('postgres://u@h/db'), []);
    assert.deepEqual(urlSecrets("host=h password='a b'"), ['a b']);
    assert.deepEqual(urlSecrets("postgres://h/db?password=''%20!"), ["''%20!", "'' !"]);
  });

  test('a driver message that echoes the URL or its password is cleaned', () => {
    const url = 'postgres://u:hunter2hunter@[bad/db';
    assert.equal(redactUrlIn(`Invalid URL: ${url}`, url), `Invalid URL: postgres://u:${REDACTED}@[bad/db`);
    assert.equal(redactUrlIn('auth failed for password hunter2hunter', url), `auth failed for password ${REDACTED}`);
    assert.equal(redact('a-secret and secret', ['secret', 'a-secret']), `${REDACTED} and ${REDACTED}`);
    assert.equal(safeUrl('https://u:p@hooks.example/x?token=t'), `https://hooks.example/x?${REDACTED}`);
  });

  // Passwords of any characters, written in every URL form: the output never shows the password.
  // (A password that also occurs elsewhere in the URL, say as the host, can't be told apart from it,
  // so those draws are skipped.)
  test('property: no password survives redaction, whatever it holds and however it is written', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,12}$/);
    const password = fc.string({ unit: 'grapheme', minLength: 3, maxLength: 24 }).filter((p) => p.trim().length >= 3);
    const form = fc.constantFrom('raw', 'encoded', 'query', 'empty-user', 'keyword');
    fc.assert(
      fc.property(name, password, name, name, form, (user, pw, host, db, how) => {
        const url = {
          raw: `postgres://${user}:${pw}@${host}:5432/${db}`,
          encoded: `postgres://${user}:${encodeURIComponent(pw)}@${host}:5432/${db}`,
          query: `postgres://${user}@${host}/${db}?sslmode=disable&password=${encodeURIComponent(pw)}`,
          'empty-user': `postgres://:${encodeURIComponent(pw)}@${host}/${db}`,
          keyword: `host=${host} user=${user} password='${pw.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}' dbname=${db}`,
        }[how];
        const written = how === 'raw' || how === 'keyword' ? pw : encodeURIComponent(pw);
        const others = url.replace(written, '');
        fc.pre(!others.includes(pw) && !others.includes(written));
        const out = redactUrl(url);
        assert.ok(!out.includes(written), `${JSON.stringify(url)} -> ${JSON.stringify(out)}`);
        assert.ok(!redactUrlIn(`error: ${url}; password ${pw}`, url).includes(pw));
        if (how !== 'keyword') assert.ok(out.includes(host), `host kept: ${out}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('no command prints a database password', () => {
  const forms = [
    'postgres://:PWempty-user-9@127.0.0.1:1/test',
    'postgres://u:PW@unencoded-at@127.0.0.1:1/test',
    'postgres://u:PW%ZZbad-escape@127.0.0.1:1/test',
    'postgres://u:PWbroken-host@[bad/test',
    'host=127.0.0.1 port=1 password=PWkeyword',
  ];
  for (const url of forms) {
    test(`sluice migrate --database-url ${redactUrl(url)} (unreachable)`, async () => {
      const { ctx, stdout, stderr } = captureContext();
      assert.equal(await runCli(['migrate', '--database-url', url], () => ctx), 2);
      const out = [...stdout, ...stderr].join('');
      assert.match(out, /SLUICE_ERR_STORE_UNREACHABLE/);
      assert.ok(!/PW[\w@%-]/.test(out.replaceAll(`PW${REDACTED}`, '')), out);
      for (const secret of urlSecrets(url)) assert.ok(!out.includes(secret), `${secret} in ${out}`);
    });
  }

  test('a password in the query of a reachable server is not in the success line', { skip: DATABASE_URL === undefined ? 'needs DATABASE_URL (PostgreSQL trusts the local user, so any password connects)' : false }, async () => {
    const schema = uniqueSchema();
    const url = `${DATABASE_URL}${DATABASE_URL!.includes('?') ? '&' : '?'}password=PWquery-secret&options=-c%20search_path%3D${schema}`;
    const { ctx, stdout, stderr } = captureContext();
    const admin = await openDb({ url: DATABASE_URL! });
    await admin.exec(`CREATE SCHEMA ${schema}`);
    try {
      assert.equal(await runCli(['migrate', '--database-url', url], () => ctx), 0);
      const out = [...stdout, ...stderr].join('');
      assert.ok(out.includes(`password=${REDACTED}`), out);
      assert.ok(!out.includes('PWquery-secret'), out);
    } finally {
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    }
  });
});
