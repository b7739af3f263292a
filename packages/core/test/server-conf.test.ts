import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ServerConf } from '../src/index.js';

describe('ServerConf', () => {
  it("reads Pingora's keys from YAML and keeps unknown ones", () => {
    const dir = mkdtempSync(join(tmpdir(), 'conf-'));
    const file = join(dir, 'conf.yaml');
    writeFileSync(file, [
      'version: 1', 'threads: 2', 'pid_file: /tmp/x.pid', 'error_log: /tmp/x.log', 'ca_file: /etc/ca.pem',
      's2n_config_cache_size: 0', 'upstream_keepalive_pool_size: 7', 'grace_period_seconds: 1',
      'graceful_shutdown_timeout_seconds: 2', 'my_extension:', '  nested: true', '',
    ].join('\n'));
    const conf = ServerConf.load(file);
    expect(conf).toMatchObject({
      version: 1, threads: 2, pidFile: '/tmp/x.pid', errorLog: '/tmp/x.log', caFile: '/etc/ca.pem',
      s2nConfigCacheSize: 0, upstreamKeepalivePoolSize: 7, gracePeriodSeconds: 1, gracefulShutdownTimeoutSeconds: 2,
    });
    expect(conf.extensions).toEqual({ my_extension: { nested: true } });
  });

  it('has defaults for an empty file', () => {
    const conf = ServerConf.fromYaml('');
    expect(conf.threads).toBe(1);
    expect(conf.s2nConfigCacheSize).toBe(10);
    expect(conf.caFile).toBeUndefined();
  });

  it('names the file and the key in errors', () => {
    expect(() => ServerConf.fromYaml('threads: many', 'conf.yaml')).toThrow(/conf.yaml: threads must be a number/);
    expect(() => ServerConf.fromYaml('threads: [1', 'conf.yaml')).toThrow(ConfigError);
    expect(() => ServerConf.fromYaml('- a\n- b', 'conf.yaml')).toThrow(/top level must be a mapping/);
    expect(() => ServerConf.load('/nonexistent/conf.yaml')).toThrow(/cannot read config file \/nonexistent\/conf.yaml/);
    expect(() => new ServerConf({ threads: 0 })).toThrow(/threads/);
  });
});
