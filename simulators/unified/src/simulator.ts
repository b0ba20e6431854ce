/**
 * The 大统一2.0 simulator: the data store, the API listener (which the `down` switch closes and
 * reopens on the same port) and the control listener.
 */
import type http from 'node:http';

import { ApiServer, type ApiContext } from './api-server.js';
import type { SimulatorConfig } from './config.js';
import { startControlServer } from './control-api.js';
import { DataStore } from './data-store.js';
import { log } from './log.js';
import { applyStatePatch, createDefaultState, type MalformedKind, type SimState } from './sim-state.js';
import { RequestStats } from './stats.js';

export class UnifiedSimulator implements ApiContext {
  readonly stats = new RequestStats();
  private currentState: SimState = createDefaultState();
  private requestsSinceErrorSwitch = 0;
  private readonly api: ApiServer;
  private controlServer: http.Server | null = null;
  /** Serializes state changes, because opening and closing the API listener takes time. */
  private stateChange: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly config: SimulatorConfig,
    readonly store: DataStore,
  ) {
    this.api = new ApiServer(this);
  }

  static async create(config: SimulatorConfig): Promise<UnifiedSimulator> {
    const store = await DataStore.open(config.dwbm, config.dataDir);
    if (store.caseCount === 0 && config.seedCases > 0) {
      await store.generate(config.seedCases, config.suspectsPerCase, config.seed);
      log('info', 'Generated the start-up cases', { cases: config.seedCases, suspectsPerCase: config.suspectsPerCase, seed: config.seed });
    }
    return new UnifiedSimulator(config, store);
  }

  get token(): string {
    return this.config.token;
  }

  get dwbm(): string {
    return this.config.dwbm;
  }

  async start(): Promise<{ port: number; controlPort: number }> {
    const port = await this.api.listen(this.config.port);
    const control = await startControlServer(this, this.config.controlPort);
    this.controlServer = control.server;
    return { port, controlPort: control.port };
  }

  async stop(): Promise<void> {
    await this.api.close();
    const controlServer = this.controlServer;
    if (controlServer !== null) {
      controlServer.closeAllConnections();
      await new Promise<void>((resolve) => controlServer.close(() => resolve()));
    }
  }

  state(): SimState {
    return { ...this.currentState, malformed: [...this.currentState.malformed] };
  }

  isErrorDue(): boolean {
    this.requestsSinceErrorSwitch += 1;
    return this.requestsSinceErrorSwitch % this.currentState.errorEvery === 0;
  }

  takeMalformedKinds(): MalformedKind[] {
    const kinds = [...this.currentState.malformed];
    if (kinds.length > 0 && this.currentState.malformedPages !== null) {
      const pagesLeft = this.currentState.malformedPages - 1;
      this.currentState = pagesLeft > 0 ? { ...this.currentState, malformedPages: pagesLeft } : { ...this.currentState, malformed: [], malformedPages: null };
    }
    return kinds;
  }

  /** Applies a state patch. Throws StatePatchError on an invalid patch, or the listen error when reopening fails. */
  updateState(patch: unknown): Promise<SimState> {
    const result = this.stateChange.then(() => this.applyState(applyStatePatch(this.currentState, patch), patch));
    this.stateChange = result.catch(() => undefined);
    return result;
  }

  resetState(): Promise<SimState> {
    const result = this.stateChange.then(async () => {
      const state = await this.applyState(createDefaultState(), {});
      this.stats.reset();
      return state;
    });
    this.stateChange = result.catch(() => undefined);
    return result;
  }

  private async applyState(next: SimState, patch: unknown): Promise<SimState> {
    const previous = this.currentState;
    if (next.down && !previous.down) {
      await this.api.close();
      log('info', 'API listener closed (down switch on)', { port: this.api.port });
    } else if (!next.down && previous.down) {
      await this.api.listen();
      log('info', 'API listener reopened (down switch off)', { port: this.api.port });
    }
    const patchKeys = Object.keys(patch as object);
    if (patchKeys.includes('errorStatus') || patchKeys.includes('errorEvery') || next.errorStatus === null) {
      this.requestsSinceErrorSwitch = 0;
    }
    this.currentState = next;
    log('info', 'Switches changed', { state: { ...next } });
    return this.state();
  }
}
