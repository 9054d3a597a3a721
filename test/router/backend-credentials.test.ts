/**
 * Credentials in a backend URL (`http://admin:pw@...`) are refused at start with one line that masks them: the
 * router would not send them, and backend URLs name engines in `/metrics` labels, logs and errors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runRouter, stopAll } from '../sim/processes.js';
import { staticArgs } from './fixtures.js';

afterAll(stopAll, 30_000);

describe('credentials in a backend URL', { timeout: 30_000 }, () => {
  for (const url of ['http://admin:s3cret-pw@127.0.0.1:8100', 'http://admin:s3cret-pw@']) {
    it(`${url.replace('s3cret-pw', '…')}: exit 2, one line, the credentials never printed`, async () => {
      const r = await runRouter(staticArgs([url], 'roundrobin'));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^pdstack-router: error: --static-backends: .*'http:\/\/\*\*\*@/);
      expect(r.stderr).not.toContain('s3cret-pw');
      expect(r.stderr).not.toContain('admin');
    });
  }
});
