import type { FastifyBaseLogger } from 'fastify';
import type { UnifiedClient } from '../../adapters/unified/unified-client.js';
import type { Db } from '../../db/database.js';
import type { DossierService } from '../dossier/dossier.service.js';
import type { JobContext, JobHandler, JobOutcome, JobPayloads } from '../jobs/job.types.js';

/** Downloads one 电子卷宗 file from 大统一2.0 into the dossier store, checked against the tree's SHA-256. */
export class DossierFetchJob implements JobHandler<'dossier-fetch'> {
  readonly type = 'dossier-fetch' as const;

  constructor(
    private readonly db: Db,
    private readonly client: UnifiedClient | null,
    private readonly dossier: DossierService,
    private readonly log: FastifyBaseLogger,
  ) {}

  async run(payload: JobPayloads['dossier-fetch'], context: JobContext): Promise<JobOutcome> {
    if (!this.client) return 'skipped';
    const caseRow = await this.db.kysely.selectFrom('cases').select('id').where('id', '=', payload.caseId).executeTakeFirst();
    if (!caseRow) return 'skipped';
    if (await this.dossier.hasUnifiedVersion(payload.caseId, payload.fileId, payload.sha256)) return 'skipped';
    if (await this.dossier.hasNewerUnifiedVersion(payload.caseId, payload.fileId, payload.versionAt)) return 'skipped';

    const content = await this.client.openDossierFile(payload.fileId, context.signal);
    const stored = await this.dossier.addUnifiedVersion({
      caseId: payload.caseId,
      name: payload.name,
      folderPath: payload.folderPath,
      externalId: payload.fileId,
      sha256: payload.sha256,
      versionAt: payload.versionAt,
      content,
    });
    this.log.info({ caseId: payload.caseId, fileId: payload.fileId, dossierFileId: stored?.id ?? null }, 'dossier file fetched');
    return stored ? 'done' : 'skipped';
  }

  async onGiveUp(payload: JobPayloads['dossier-fetch'], error: unknown): Promise<void> {
    this.log.error({ err: error, caseId: payload.caseId, fileId: payload.fileId }, 'dossier file could not be fetched; it is queued again when its case next changes in 大统一2.0');
  }
}
