/** 12-factor: the settings an operator changes per deployment come from the environment too, checked like the file's. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEnvironment, ENVIRONMENT } from '../../src/config/env.js';
import { loadConfig } from '../../src/config/load.js';
import type { ConnectorError } from '../../src/domain/errors.js';
import { tempDir, writeJson } from '../support/run-cli.js';

const PAYERS = [{ accountId: '111111111111' }];
const CONNECT = { productIds: ['PRD-411-678-887'] };

async function configFile(value: object): Promise<string> {
  return writeJson(await tempDir(), 'config.json', value);
}

async function loadError(file: string, env: NodeJS.ProcessEnv): Promise<ConnectorError> {
  return (await loadConfig(file, env).catch((e: unknown) => e)) as ConnectorError;
}

describe('loadConfig(file, env)', () => {
  it.each([
    ['CONNECT_API_URL', 'http://127.0.0.1:4010/public/v1', (c: Awaited<ReturnType<typeof loadConfig>>['config']) => c.connect?.apiUrl],
    ['NATIVE_RATING_STATE_PATH', '/data/native-rating.db', (c: Awaited<ReturnType<typeof loadConfig>>['config']) => c.state.path],
    ['NATIVE_RATING_OUTPUT_DIR', '/data/runs', (c: Awaited<ReturnType<typeof loadConfig>>['config']) => c.state.outputDir],
    ['NATIVE_RATING_ADMIN_HOST', '0.0.0.0', (c: Awaited<ReturnType<typeof loadConfig>>['config']) => c.admin?.host],
  ])('puts %s over the file', async (name, value, read) => {
    const file = await configFile({ payers: PAYERS, connect: { ...CONNECT, apiUrl: 'https://file.example/v1' }, state: { path: 'file.db', outputDir: 'file-runs' }, admin: { host: '127.0.0.1', port: 8080 } });
    const loaded = await loadConfig(file, { [name]: value });
    expect(read(loaded.config)).toBe(value);
    expect(loaded.overrides).toEqual([name]);
  });

  it('reads NATIVE_RATING_ADMIN_PORT as a number and creates the admin section with the default host', async () => {
    const { config, overrides } = await loadConfig(await configFile({ payers: PAYERS }), { NATIVE_RATING_ADMIN_PORT: ' 9090 ' });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(overrides).toEqual(['NATIVE_RATING_ADMIN_PORT']);
  });

  it('creates the state section for NATIVE_RATING_STATE_PATH, keeping the default output folder', async () => {
    const { config } = await loadConfig(await configFile({ payers: PAYERS }), { NATIVE_RATING_STATE_PATH: '/data/x.db' });
    expect(config.state).toEqual({ path: '/data/x.db', outputDir: './data/runs' });
  });

  it('applies CONNECT_API_URL only to a file with a connect section (a URL alone does not configure orders)', async () => {
    const { config, overrides } = await loadConfig(await configFile({ payers: PAYERS }), { CONNECT_API_URL: 'http://127.0.0.1:4010' });
    expect(config.connect).toBeUndefined();
    expect(overrides).toEqual([]);
  });

  it('takes a blank variable as unset, and reads nothing from the environment without env', async () => {
    const file = await configFile({ payers: PAYERS, state: { path: 'file.db' } });
    const blank = await loadConfig(file, { NATIVE_RATING_STATE_PATH: '  ', NATIVE_RATING_ADMIN_PORT: '' });
    expect(blank.config.state.path).toBe('file.db');
    expect(blank.config.admin).toBeUndefined();
    expect(blank.overrides).toEqual([]);
    process.env.NATIVE_RATING_STATE_PATH = '/elsewhere.db';
    try {
      expect((await loadConfig(file)).config.state.path).toBe('file.db');
    } finally {
      delete process.env.NATIVE_RATING_STATE_PATH;
    }
  });

  it.each([
    ['NATIVE_RATING_ADMIN_PORT', '80a', 'NATIVE_RATING_ADMIN_PORT="80a": admin.port must be a whole number from 0 to 65535'],
    ['NATIVE_RATING_ADMIN_PORT', '70000', 'NATIVE_RATING_ADMIN_PORT="70000": admin.port must be a whole number from 0 to 65535'],
    ['CONNECT_API_URL', 'api.example/v1', 'CONNECT_API_URL="api.example/v1": connect.apiUrl must be an http(s) URL'],
    ['CONNECT_API_URL', 'ftp://api.example/v1', 'CONNECT_API_URL="ftp://api.example/v1": connect.apiUrl must be an http(s) URL'],
  ])('refuses %s=%j naming the variable and the setting', async (name, value, line) => {
    const file = await configFile({ payers: PAYERS, connect: CONNECT });
    const error = await loadError(file, { [name]: value });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`\n  ${line}`);
    expect(error.message).not.toContain(`${file}: admin.port`);
  });

  it("names the file for the file's problems and the variable for the environment's, all at once", async () => {
    const file = await configFile({ payers: PAYERS, state: { paht: 'x.db' } });
    const error = await loadError(file, { NATIVE_RATING_ADMIN_PORT: '-1' });
    expect(error.message).toContain('configuration has 2 problem(s)');
    expect(error.message).toContain(`${file}: state.paht: unknown setting; did you mean path?`);
    expect(error.message).toContain('NATIVE_RATING_ADMIN_PORT="-1": admin.port must be a whole number from 0 to 65535');
  });

  it('names the file when the port in the file is bad and no variable set it', async () => {
    const file = await configFile({ payers: PAYERS, admin: { port: '8080' } });
    expect((await loadError(file, {})).message).toContain(`${file}: admin.port: must be a whole number from 0 to 65535`);
  });
});

describe('applyEnvironment()', () => {
  it('leaves the raw configuration it was given unchanged, and a section that is not an object to the schema', () => {
    const raw = { payers: PAYERS, state: { path: 'a.db' }, admin: 'yes' };
    const out = applyEnvironment(raw, { NATIVE_RATING_STATE_PATH: 'b.db', NATIVE_RATING_ADMIN_PORT: '1' });
    expect(raw.state.path).toBe('a.db');
    expect(out.raw).toEqual({ payers: PAYERS, state: { path: 'b.db' }, admin: 'yes' });
    expect(out.applied.map((a) => a.variable)).toEqual(['NATIVE_RATING_STATE_PATH']);
  });
});

describe("README's configuration table", () => {
  it('has a row for every variable of ENVIRONMENT with its setting and default', async () => {
    const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('| '))
      .map((l) => l.slice(2, -2).split(' | '));
    for (const variable of ENVIRONMENT) {
      const row = rows.find((cells) => cells[1] === `\`${variable.name}\``);
      expect(row, variable.name).toBeDefined();
      expect(row?.[0], variable.name).toBe(variable.setting);
      expect(row?.[2], variable.name).toBe(variable.default);
    }
  });
});
