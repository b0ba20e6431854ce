import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { SecretBox } from './adapters/crypto/secret-box.js';
import { loadSecretKey } from './adapters/crypto/secret-key.js';
import { createNvrAdapter } from './adapters/nvr/index.js';
import { StorageLayout } from './adapters/storage/storage-layout.js';
import { UnifiedClient } from './adapters/unified/unified-client.js';
import type { AppConfig } from './config/config.js';
import type { Db } from './db/database.js';
import { ArchiveService } from './modules/archive/archive.service.js';
import { AuditService } from './modules/audit/audit.service.js';
import { AuthService } from './modules/auth/auth.service.js';
import { CaseRepository } from './modules/cases/case.repository.js';
import { CaseService } from './modules/cases/case.service.js';
import { CaseAccessService } from './modules/cases/case-access.service.js';
import { CaseGrantRepository } from './modules/cases/case-grant.repository.js';
import { CaseGrantService } from './modules/cases/case-grant.service.js';
import { RecordedCaseRepository } from './modules/cases/recorded-case.repository.js';
import { RecordedCaseService } from './modules/cases/recorded-case.service.js';
import { CaseAdminRepository } from './modules/case-admin/case-admin.repository.js';
import { CaseAdminService } from './modules/case-admin/case-admin.service.js';
import { YibananHttpClient } from './adapters/yibanan/yibanan-http.client.js';
import { DeliveryJob } from './modules/delivery/delivery.job.js';
import { DeliveryRepository } from './modules/delivery/delivery.repository.js';
import { DeliveryService } from './modules/delivery/delivery.service.js';
import { DocumentService } from './modules/documents/document.service.js';
import { DossierService } from './modules/dossier/dossier.service.js';
import { JobRepository } from './modules/jobs/job.repository.js';
import { JobWorker } from './modules/jobs/job.worker.js';
import { LiveService } from './modules/live/live.service.js';
import { MediaService } from './modules/media/media.service.js';
import { OffsiteArchiveService } from './modules/offsite/offsite-archive.service.js';
import { OffsiteService } from './modules/offsite/offsite.service.js';
import { TusUploads } from './modules/offsite/tus-uploads.js';
import { RoomRepository } from './modules/rooms/room.repository.js';
import { RoomService } from './modules/rooms/room.service.js';
import { SessionRepository } from './modules/sessions/session.repository.js';
import { SessionService } from './modules/sessions/session.service.js';
import { DossierFetchJob } from './modules/unified/dossier-fetch.job.js';
import { nowIso } from './lib/time.js';
import { UnifiedImportService } from './modules/unified/unified-import.service.js';
import { UnifiedSyncRepository } from './modules/unified/unified-sync.repository.js';
import { UnifiedSyncService } from './modules/unified/unified-sync.service.js';
import { UserRepository } from './modules/users/user.repository.js';
import { UserService } from './modules/users/user.service.js';

export interface Services {
  config: AppConfig;
  db: Db;
  audit: AuditService;
  auth: AuthService;
  cases: CaseService;
  rooms: RoomService;
  sessions: SessionService;
  archive: ArchiveService;
  media: MediaService;
  live: LiveService;
  jobs: JobRepository;
  worker: JobWorker;
  users: UserService;
  caseGrants: CaseGrantService;
  recordedCases: RecordedCaseService;
  caseAdmin: CaseAdminService;
  documents: DocumentService;
  dossier: DossierService;
  offsite: OffsiteService;
  tusUploads: TusUploads;
  deliveries: DeliveryService;
  deliveryJob: DeliveryJob;
  unifiedSync: UnifiedSyncService;
  unifiedImport: UnifiedImportService;
}

/** Wires every service with exactly what it uses. */
export function createServices(config: AppConfig, db: Db, log: FastifyBaseLogger): Services {
  const storage = new StorageLayout(config.dataDir);
  const secrets = new SecretBox(loadSecretKey(config.secretKey, config.dataDir));
  const audit = new AuditService(db);
  const auth = new AuthService(db, audit, {
    idleMinutes: config.sessionIdleMinutes,
    defaultPassword: config.defaultPassword,
    passwordMinLength: config.passwordMinLength,
    passwordMaxAgeDays: config.passwordMaxAgeDays,
    loginMaxFailures: config.loginMaxFailures,
    lockoutMinutes: config.lockoutMinutes,
  });

  const caseRepository = new CaseRepository(db);
  const caseGrantRepository = new CaseGrantRepository(db);
  const cases = new CaseService(caseRepository, config.courtShortName, new CaseAccessService(caseGrantRepository));
  const rooms = new RoomService(new RoomRepository(db), secrets, createNvrAdapter);

  const sessionRepository = new SessionRepository(db);
  const jobs = new JobRepository(db);
  // The worker is created below with the job handlers; services that queue jobs wake it through this function.
  const wakeWorker = () => worker.wake();

  const deliveryRepository = new DeliveryRepository(db);
  const deliveries = new DeliveryService(
    db,
    deliveryRepository,
    cases,
    audit,
    { mode: config.yibananMode, site: config.yibananSite, maxAttempts: config.yibananMaxAttempts },
    wakeWorker,
    log.child({ module: 'delivery' }),
  );
  const yibananClient = config.yibananMode === 'http' ? new YibananHttpClient(config.yibananUrl, config.yibananToken) : null;
  const deliveryJob = new DeliveryJob(
    db,
    deliveryRepository,
    deliveries,
    yibananClient,
    storage,
    audit,
    { chunkBytes: Math.max(1, Math.round(config.yibananChunkMb * 1024 * 1024)), outbox: config.yibananOutbox, retryBaseSeconds: config.yibananRetryBaseSeconds },
    log.child({ module: 'delivery' }),
  );

  const archive = new ArchiveService(
    db,
    sessionRepository,
    rooms,
    storage,
    { ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, rtspTimeoutSeconds: 15 },
    deliveries,
    log.child({ module: 'archive' }),
  );
  const tusDirectory = path.join(config.dataDir, 'incoming', 'tus');
  const offsiteArchive = new OffsiteArchiveService(db, sessionRepository, storage, tusDirectory, config.ffmpegPath, config.ffprobePath, deliveries, log.child({ module: 'offsite-archive' }));
  const dossier = new DossierService(db, cases, storage);
  const unifiedClient = config.unifiedUrl
    ? new UnifiedClient(
        {
          baseUrl: config.unifiedUrl,
          token: config.unifiedToken,
          unitCode: config.unifiedUnitCode,
          timeoutMs: 30_000,
          maxAttempts: 3,
          retryBaseMs: config.unifiedRetryBaseMs,
          maxJsonBytes: 64 * 1024 * 1024,
        },
        log.child({ module: 'unified-client' }),
      )
    : null;
  const unifiedRepository = new UnifiedSyncRepository(db);
  const unifiedSync = new UnifiedSyncService(
    unifiedRepository,
    unifiedClient,
    jobs,
    audit,
    { intervalMinutes: config.unifiedSyncIntervalMinutes, pageSize: config.unifiedPageSize, unitCode: config.unifiedUnitCode },
    wakeWorker,
    log.child({ module: 'unified-sync' }),
  );
  const dossierFetch = new DossierFetchJob(db, unifiedClient, dossier, log.child({ module: 'dossier-fetch' }));
  const unifiedImport = new UnifiedImportService(unifiedRepository, audit, config.unifiedImportMaxBytes, config.unifiedUnitCode, log.child({ module: 'unified-import' }));
  const worker: JobWorker = new JobWorker(
    jobs,
    [archive, offsiteArchive, deliveryJob, unifiedSync, dossierFetch],
    { pollMs: 1000, leaseSeconds: config.jobLeaseSeconds, concurrency: 2, retryBaseSeconds: config.archiveRetryBaseSeconds },
    log.child({ module: 'worker' }),
  );

  const sessions = new SessionService(
    db,
    sessionRepository,
    caseRepository,
    cases,
    rooms,
    audit,
    { archiveDelaySeconds: config.archiveDelaySeconds, archiveMaxAttempts: config.archiveMaxAttempts },
    wakeWorker,
    deliveries,
    log.child({ module: 'sessions' }),
  );
  const media = new MediaService(db, cases, storage);
  const live = new LiveService(rooms, config.ffmpegPath, 10, log.child({ module: 'live' }));

  const users = new UserService(
    new UserRepository(db),
    audit,
    { defaultPassword: config.defaultPassword, separationOfDuties: config.separationOfDuties },
    () => unifiedRepository.rematchHandlers(nowIso()),
  );
  const caseGrants = new CaseGrantService(caseGrantRepository, cases, audit);
  const recordedCases = new RecordedCaseService(new RecordedCaseRepository(db));
  const caseAdmin = new CaseAdminService(
    new CaseAdminRepository(db),
    caseRepository,
    caseGrantRepository,
    rooms,
    audit,
    { archiveDelaySeconds: config.archiveDelaySeconds, archiveMaxAttempts: config.archiveMaxAttempts, maxBackfillHours: 24 },
    () => worker.wake(),
    log.child({ module: 'case-admin' }),
  );

  const documents = new DocumentService(db, sessions, cases, storage, audit, config.documentMaxBytes, deliveries);
  const offsite = new OffsiteService(db, sessions, caseRepository, cases, audit, { archiveMaxAttempts: config.archiveMaxAttempts }, () => worker.wake());
  const tusUploads = new TusUploads(tusDirectory, offsite, audit, config.ffprobePath, config.videoMaxBytes, log.child({ module: 'tus' }), config.uploadExpiryHours);

  return { config, db, audit, auth, cases, rooms, sessions, archive, media, live, jobs, worker, users, caseGrants, recordedCases, caseAdmin, documents, dossier, offsite, tusUploads, deliveries, deliveryJob , unifiedSync, unifiedImport };
}
