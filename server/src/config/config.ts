import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Runtime settings, read from an optional JSON file and then from TONGLU_* environment variables. */
export interface AppConfig {
  host: string;
  port: number;
  /** Root of media, documents, temporary work and the default SQLite file. */
  dataDir: string;
  /** `sqlite:<path>` or `postgres://user:pass@host:port/db`. */
  databaseUrl: string;
  ffmpegPath: string;
  ffprobePath: string;
  /** Seconds between 结束办案 and the archive job, so the NVR has closed its files. */
  archiveDelaySeconds: number;
  /** Attempts of one archive job before it is marked failed. */
  archiveMaxAttempts: number;
  /** First retry delay in seconds; each further retry doubles it. */
  archiveRetryBaseSeconds: number;
  /** Seconds a job stays locked to its worker without a heartbeat. After a crash the job resumes once this has passed. */
  jobLeaseSeconds: number;
  /** 32-byte key (hex or base64) for NVR passwords at rest; generated into dataDir when empty. */
  secretKey: string;
  /** Proxies whose X-Forwarded-For is trusted (exact IPs). */
  trustedProxies: string[];
  /** Run the job worker in this process. */
  runWorker: boolean;
  /** Court prefix of self-built case numbers, e.g. 昆检. */
  courtShortName: string;
  /** Minutes a login session lasts without activity. */
  sessionIdleMinutes: number;
  /** Password of new and reset accounts; the user must change it at the next login. */
  defaultPassword: string;
  /** Minimum password length; a password also needs 3 of the 4 classes (upper, lower, digit, symbol). */
  passwordMinLength: number;
  /** Days after which a password expires and must be changed at the next login; 0 turns expiry off. */
  passwordMaxAgeDays: number;
  /** Consecutive failed logins that lock an account. */
  loginMaxFailures: number;
  /** Minutes a locked account stays locked. */
  lockoutMinutes: number;
  /** Login attempts allowed per client IP per minute. */
  loginRateLimitPerMinute: number;
  /** Whether 系统管理员 and 安全管理员 duties stay apart: only a secadmin assigns roles and resets passwords. */
  separationOfDuties: boolean;
  /** Serve the built web UI from this folder when it exists. */
  webDir: string;
  logLevel: string;
  /** Largest document (笔录, PDF, image) accepted by one upload, in bytes. */
  documentMaxBytes: number;
  /** Largest video accepted by one resumable upload of 非办案区同录, in bytes. */
  videoMaxBytes: number;
  /** Hours after which an unfinished resumable upload (非办案区同录) is deleted; 0 keeps them. */
  uploadExpiryHours: number;
  /**
   * Delivery mode to 易办案: http, folder (drop into the outbox for the gateway) or off. When empty, a set URL
   * selects http, else a set outbox selects folder, else off.
   */
  yibananMode: string;
  /** Base URL of the 易办案 receiver, e.g. http://127.0.0.1:37100. */
  yibananUrl: string;
  /** Bearer token for the 易办案 receiver; never logged or sent to the browser. */
  yibananToken: string;
  /** Outbox folder of folder mode, moved across the network gateway (网闸). */
  yibananOutbox: string;
  /** Site code in package ids TL-<site>-<session id>-<seq>, the unit's six-digit 单位编码. */
  yibananSite: string;
  /** Size of one upload chunk in MB (fractions allowed). */
  yibananChunkMb: number;
  /** Attempts of one delivery before it is marked failed. */
  yibananMaxAttempts: number;
  /** First delivery retry delay in seconds; each further retry doubles it. */
  yibananRetryBaseSeconds: number;
  /** Base URL of the 大统一2.0 interface; empty turns the pull off (file import still works). */
  unifiedUrl: string;
  /** Bearer token of the 大统一2.0 interface; never logged or sent to the browser. */
  unifiedToken: string;
  /** 单位编码 (dwbm) of this procuratorate, six digits. */
  unifiedUnitCode: string;
  /** Minutes between scheduled pulls from 大统一2.0; 0 turns the schedule off. */
  unifiedSyncIntervalMinutes: number;
  /** Cases requested per page from 大统一2.0 (1–500). */
  unifiedPageSize: number;
  /** First retry delay in milliseconds after a failed 大统一2.0 request; each further retry doubles it. */
  unifiedRetryBaseMs: number;
  /** Largest 大统一2.0 file import (JSON or .xlsx), in bytes. */
  unifiedImportMaxBytes: number;
}

const defaults: AppConfig = {
  host: '127.0.0.1',
  port: 8077,
  dataDir: 'data',
  databaseUrl: '',
  ffmpegPath: 'ffmpeg',
  ffprobePath: 'ffprobe',
  archiveDelaySeconds: 600,
  archiveMaxAttempts: 6,
  archiveRetryBaseSeconds: 30,
  jobLeaseSeconds: 30,
  secretKey: '',
  trustedProxies: [],
  runWorker: true,
  courtShortName: '昆检',
  sessionIdleMinutes: 30,
  defaultPassword: '123456',
  passwordMinLength: 8,
  passwordMaxAgeDays: 90,
  loginMaxFailures: 5,
  lockoutMinutes: 10,
  loginRateLimitPerMinute: 20,
  separationOfDuties: true,
  webDir: path.resolve(import.meta.dirname, '../../../web/dist'),
  logLevel: 'info',
  documentMaxBytes: 200 * 1024 * 1024,
  videoMaxBytes: 20 * 1024 * 1024 * 1024,
  uploadExpiryHours: 72,
  yibananMode: '',
  yibananUrl: '',
  yibananToken: '',
  yibananOutbox: '',
  yibananSite: '320583',
  yibananChunkMb: 16,
  yibananMaxAttempts: 8,
  yibananRetryBaseSeconds: 30,
  unifiedUrl: '',
  unifiedToken: '',
  unifiedUnitCode: '',
  unifiedSyncIntervalMinutes: 10,
  unifiedPageSize: 200,
  unifiedRetryBaseMs: 1000,
  unifiedImportMaxBytes: 20 * 1024 * 1024,
};

const envNames: Record<keyof AppConfig, string> = {
  host: 'TONGLU_HOST',
  port: 'TONGLU_PORT',
  dataDir: 'TONGLU_DATA_DIR',
  databaseUrl: 'TONGLU_DATABASE_URL',
  ffmpegPath: 'TONGLU_FFMPEG',
  ffprobePath: 'TONGLU_FFPROBE',
  archiveDelaySeconds: 'TONGLU_ARCHIVE_DELAY_SECONDS',
  archiveMaxAttempts: 'TONGLU_ARCHIVE_MAX_ATTEMPTS',
  archiveRetryBaseSeconds: 'TONGLU_ARCHIVE_RETRY_BASE_SECONDS',
  jobLeaseSeconds: 'TONGLU_JOB_LEASE_SECONDS',
  secretKey: 'TONGLU_SECRET_KEY',
  trustedProxies: 'TONGLU_TRUSTED_PROXIES',
  runWorker: 'TONGLU_RUN_WORKER',
  courtShortName: 'TONGLU_COURT_SHORT_NAME',
  sessionIdleMinutes: 'TONGLU_SESSION_IDLE_MINUTES',
  defaultPassword: 'TONGLU_DEFAULT_PASSWORD',
  passwordMinLength: 'TONGLU_PASSWORD_MIN_LENGTH',
  passwordMaxAgeDays: 'TONGLU_PASSWORD_MAX_AGE_DAYS',
  loginMaxFailures: 'TONGLU_LOGIN_MAX_FAILURES',
  lockoutMinutes: 'TONGLU_LOCKOUT_MINUTES',
  loginRateLimitPerMinute: 'TONGLU_LOGIN_RATE_LIMIT_PER_MINUTE',
  separationOfDuties: 'TONGLU_SEPARATION_OF_DUTIES',
  webDir: 'TONGLU_WEB_DIR',
  logLevel: 'TONGLU_LOG_LEVEL',
  documentMaxBytes: 'TONGLU_DOCUMENT_MAX_BYTES',
  videoMaxBytes: 'TONGLU_VIDEO_MAX_BYTES',
  uploadExpiryHours: 'TONGLU_UPLOAD_EXPIRY_HOURS',
  yibananMode: 'TONGLU_YIBANAN_MODE',
  yibananUrl: 'TONGLU_YIBANAN_URL',
  yibananToken: 'TONGLU_YIBANAN_TOKEN',
  yibananOutbox: 'TONGLU_YIBANAN_OUTBOX',
  yibananSite: 'TONGLU_YIBANAN_SITE',
  yibananChunkMb: 'TONGLU_YIBANAN_CHUNK_MB',
  yibananMaxAttempts: 'TONGLU_YIBANAN_MAX_ATTEMPTS',
  yibananRetryBaseSeconds: 'TONGLU_YIBANAN_RETRY_BASE_SECONDS',
  unifiedUrl: 'TONGLU_UNIFIED_URL',
  unifiedToken: 'TONGLU_UNIFIED_TOKEN',
  unifiedUnitCode: 'TONGLU_UNIFIED_DWBM',
  unifiedSyncIntervalMinutes: 'TONGLU_UNIFIED_SYNC_INTERVAL_MINUTES',
  unifiedPageSize: 'TONGLU_UNIFIED_PAGE_SIZE',
  unifiedRetryBaseMs: 'TONGLU_UNIFIED_RETRY_BASE_MS',
  unifiedImportMaxBytes: 'TONGLU_UNIFIED_IMPORT_MAX_BYTES',
};

function parseValue(key: keyof AppConfig, raw: string): AppConfig[keyof AppConfig] {
  const sample = defaults[key];
  if (typeof sample === 'number') {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${envNames[key]} must be a non-negative number, got "${raw}"`);
    return value;
  }
  if (typeof sample === 'boolean') return raw === '1' || raw.toLowerCase() === 'true';
  if (Array.isArray(sample)) return raw.split(',').map((item) => item.trim()).filter(Boolean);
  return raw;
}

/** Loads the configuration: defaults, then the JSON file named by TONGLU_CONFIG, then environment variables. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const config: AppConfig = { ...defaults };

  const file = env.TONGLU_CONFIG;
  if (file) {
    const fromFile = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppConfig>;
    for (const key of Object.keys(fromFile) as (keyof AppConfig)[]) {
      if (!(key in defaults)) throw new Error(`unknown setting "${key}" in ${file}`);
      Object.assign(config, { [key]: fromFile[key] });
    }
  }

  for (const key of Object.keys(envNames) as (keyof AppConfig)[]) {
    const raw = env[envNames[key]];
    if (raw !== undefined && raw !== '') Object.assign(config, { [key]: parseValue(key, raw) });
  }

  Object.assign(config, overrides);
  config.dataDir = path.resolve(config.dataDir);
  if (config.unifiedUrl && !/^\d{6}$/.test(config.unifiedUnitCode)) {
    throw new Error(`TONGLU_UNIFIED_DWBM must be the six-digit 单位编码 when TONGLU_UNIFIED_URL is set, got "${config.unifiedUnitCode}"`);
  }
  if (config.unifiedPageSize < 1 || config.unifiedPageSize > 500) throw new Error(`TONGLU_UNIFIED_PAGE_SIZE must be from 1 to 500, got ${config.unifiedPageSize}`);
  if (!config.databaseUrl) config.databaseUrl = `sqlite:${path.join(config.dataDir, 'tonglu.sqlite')}`;
  config.yibananMode = resolveYibananMode(config);
  if (config.yibananOutbox) config.yibananOutbox = path.resolve(config.yibananOutbox);
  return config;
}

/** Returns the effective 易办案 mode and rejects settings that cannot work. */
function resolveYibananMode(config: AppConfig): string {
  let mode = config.yibananMode;
  if (!mode && config.yibananUrl) mode = 'http';
  else if (!mode && config.yibananOutbox) mode = 'folder';
  else if (!mode) mode = 'off';
  if (!['http', 'folder', 'off'].includes(mode)) throw new Error(`TONGLU_YIBANAN_MODE must be http, folder or off, got "${mode}"`);
  if (mode === 'http' && !/^https?:\/\//.test(config.yibananUrl)) throw new Error('TONGLU_YIBANAN_MODE=http needs TONGLU_YIBANAN_URL (http:// or https://)');
  if (mode === 'folder' && !config.yibananOutbox) throw new Error('TONGLU_YIBANAN_MODE=folder needs TONGLU_YIBANAN_OUTBOX');
  if (!/^[0-9A-Za-z]{1,20}$/.test(config.yibananSite)) throw new Error(`TONGLU_YIBANAN_SITE must be letters and digits (e.g. 320583), got "${config.yibananSite}"`);
  if (config.yibananChunkMb <= 0) throw new Error('TONGLU_YIBANAN_CHUNK_MB must be greater than 0');
  if (config.yibananMaxAttempts < 1) throw new Error('TONGLU_YIBANAN_MAX_ATTEMPTS must be at least 1');
  return mode;
}
