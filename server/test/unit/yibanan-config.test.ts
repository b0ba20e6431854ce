import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

describe('易办案 settings', () => {
  it('picks the mode from URL or outbox', () => {
    expect(loadConfig({}).yibananMode).toBe('off');
    expect(loadConfig({ TONGLU_YIBANAN_URL: 'http://127.0.0.1:37100' }).yibananMode).toBe('http');
    expect(loadConfig({ TONGLU_YIBANAN_OUTBOX: '/tmp/outbox' }).yibananMode).toBe('folder');
    expect(loadConfig({ TONGLU_YIBANAN_URL: 'http://127.0.0.1:37100', TONGLU_YIBANAN_MODE: 'off' }).yibananMode).toBe('off');
  });

  it('reads chunk size, attempts and site', () => {
    const config = loadConfig({ TONGLU_YIBANAN_CHUNK_MB: '0.5', TONGLU_YIBANAN_MAX_ATTEMPTS: '3', TONGLU_YIBANAN_SITE: '320500', TONGLU_YIBANAN_RETRY_BASE_SECONDS: '5' });
    expect(config.yibananChunkMb).toBe(0.5);
    expect(config.yibananMaxAttempts).toBe(3);
    expect(config.yibananSite).toBe('320500');
    expect(config.yibananRetryBaseSeconds).toBe(5);
    expect(loadConfig({}).yibananChunkMb).toBe(16);
  });

  it('rejects settings that cannot work', () => {
    expect(() => loadConfig({ TONGLU_YIBANAN_MODE: 'ftp' })).toThrow(/must be http, folder or off/);
    expect(() => loadConfig({ TONGLU_YIBANAN_MODE: 'http' })).toThrow(/needs TONGLU_YIBANAN_URL/);
    expect(() => loadConfig({ TONGLU_YIBANAN_MODE: 'folder' })).toThrow(/needs TONGLU_YIBANAN_OUTBOX/);
    expect(() => loadConfig({ TONGLU_YIBANAN_SITE: '32/05' })).toThrow(/TONGLU_YIBANAN_SITE/);
    expect(() => loadConfig({ TONGLU_YIBANAN_CHUNK_MB: '0' })).toThrow(/TONGLU_YIBANAN_CHUNK_MB/);
    expect(() => loadConfig({ TONGLU_YIBANAN_MAX_ATTEMPTS: '0' })).toThrow(/TONGLU_YIBANAN_MAX_ATTEMPTS/);
  });
});
