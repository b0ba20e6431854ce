/**
 * Checks the simulator's real responses against the schemas in
 * docs/integrations/unified-2.0.openapi.yaml, so a difference between the two fails a test.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// NOTE: ajv, ajv-formats and yaml are not declared by the simulators workspace. They resolve through
// the root node_modules as dependencies of fastify and vite.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';

import { startUnifiedSimulator, type UnifiedSimulator } from '../src/launch.js';
import { UnifiedClient } from './helpers.js';

const OPENAPI_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/integrations/unified-2.0.openapi.yaml');
const TOKEN = 'openapi-token';
let unified: UnifiedSimulator;
let client: UnifiedClient;
let validate: (schemaName: string, value: unknown) => string[];

beforeAll(async () => {
  const document = YAML.parse(await readFile(OPENAPI_PATH, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document, 'openapi');
  validate = (schemaName, value) => {
    const check = ajv.getSchema(`openapi#/components/schemas/${schemaName}`);
    if (!check) {
      throw new Error(`The OpenAPI document has no schema ${schemaName}.`);
    }
    return check(value) ? [] : (check.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
  };

  unified = await startUnifiedSimulator({ token: TOKEN, seedCases: 40, suspectsPerCase: 2, seed: 9 });
  client = new UnifiedClient(unified.baseUrl, TOKEN);
});

afterAll(async () => {
  await unified?.stop();
});

function readJson(result: { body: Buffer }): unknown {
  return JSON.parse(result.body.toString('utf8'));
}

describe('OpenAPI document', () => {
  it('declares version 3.1 and the four paths', async () => {
    const document = YAML.parse(await readFile(OPENAPI_PATH, 'utf8')) as { openapi: string; paths: Record<string, unknown> };

    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/cases',
      '/api/v1/dossier',
      '/api/v1/dossier/files/{wjbh}/content',
      '/api/v1/handlers',
    ]);
  });
});

describe('responses match the schemas', () => {
  it('matches CasePage on every page', async () => {
    await unified.change(10, 4);
    await unified.deleteCases(3, 4);
    let page = await client.casePage({ limit: 15 });
    expect(validate('CasePage', page)).toEqual([]);
    while (page.nextCursor !== null) {
      page = await client.casePage({ cursor: page.nextCursor, limit: 15 });
      expect(validate('CasePage', page)).toEqual([]);
    }
  });

  it('matches Handler for every person', async () => {
    const body = readJson(await client.get('/api/v1/handlers?dwbm=320583')) as { items: unknown[] };

    for (const handler of body.items) {
      expect(validate('Handler', handler)).toEqual([]);
    }
  });

  it('matches Dossier for every case', async () => {
    for (const item of await unified.cases()) {
      const body = readJson(await client.get(`/api/v1/dossier?bmsah=${encodeURIComponent(item.bmsah)}`));
      expect(validate('Dossier', body)).toEqual([]);
    }
  });

  it('matches Error for error responses', async () => {
    const results = [
      await client.get('/api/v1/cases?dwbm=320583&limit=0'),
      await client.get('/api/v1/dossier?bmsah=x'),
      await client.get('/api/v1/handlers?dwbm=320583', { Authorization: 'Bearer wrong' }),
    ];

    for (const result of results) {
      expect(validate('Error', readJson(result))).toEqual([]);
    }
  });

  it('rejects malformed cases', async () => {
    for (const kind of ['missing-fields', 'bad-dates'] as const) {
      await unified.setState({ malformed: [kind], malformedPages: 1 });
      const page = await client.casePage({ limit: 5 });
      expect(validate('Case', page.items[0]), kind).not.toEqual([]);
      expect(validate('Case', page.items[1]), kind).toEqual([]);
    }
  });
});
