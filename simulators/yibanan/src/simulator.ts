import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ApiContext } from './api-context.js';
import { handleApiRequest } from './api.js';
import type { SimulatorConfig } from './config.js';
import { handleControlRequest, type ControlContext } from './control-api.js';
import { describeError, log } from './log.js';
import { PackageStore } from './package-store.js';
import { applyStatePatch, createDefaultState, type ApiRoute, type SimState } from './sim-state.js';

const HOST = '127.0.0.1';

/** The 易办案 API server and the control server, sharing the package store and the switches. */
export class YibananSimulator implements ApiContext, ControlContext {
  readonly store: PackageStore;
  readonly token: string;
  private switches: SimState = createDefaultState();
  /** API requests counted for errorEvery since errorStatus, errorEvery or errorRoute last changed. */
  private errorCandidates = 0;
  private readonly apiServer: http.Server;
  private readonly controlServer: http.Server;
  private apiPort: number;
  private isApiListening = false;

  constructor(private readonly config: SimulatorConfig) {
    this.store = new PackageStore(config.dataDir);
    this.token = config.token;
    this.apiPort = config.port;
    // Uploads of several gigabytes at a slow rate take long, so the whole-request timeout is off.
    this.apiServer = http.createServer({ requestTimeout: 0 }, (request, response) => {
      handleApiRequest(this, request, response).catch((error: unknown) => this.failRequest('API', request, response, error));
    });
    // With this listener Node leaves `100 Continue` to the handlers (see readBodyChunks).
    this.apiServer.on('checkContinue', (request: http.IncomingMessage, response: http.ServerResponse) => {
      this.apiServer.emit('request', request, response);
    });
    this.controlServer = http.createServer((request, response) => {
      handleControlRequest(this, request, response).catch((error: unknown) => this.failRequest('control', request, response, error));
    });
  }

  async start(): Promise<{ port: number; controlPort: number }> {
    await this.store.load();
    await this.listenApi();
    await listen(this.controlServer, this.config.controlPort);
    const controlPort = (this.controlServer.address() as AddressInfo).port;
    return { port: this.apiPort, controlPort };
  }

  async stop(): Promise<void> {
    await Promise.all([this.closeApi(), closeServer(this.controlServer)]);
  }

  state(): SimState {
    return this.switches;
  }

  async updateState(patch: unknown): Promise<SimState> {
    const next = applyStatePatch(this.switches, patch);
    const previous = this.switches;
    this.switches = next;
    if (next.errorStatus !== previous.errorStatus || next.errorEvery !== previous.errorEvery || next.errorRoute !== previous.errorRoute) {
      this.errorCandidates = 0;
    }
    if (next.down !== previous.down) {
      await (next.down ? this.closeApi() : this.listenApi());
    }
    log('info', 'Switches changed', { patch, state: this.switches });
    return this.switches;
  }

  async resetState(): Promise<SimState> {
    return this.updateState(createDefaultState());
  }

  takeInjectedError(route: ApiRoute): number | null {
    const { errorStatus, errorEvery, errorRoute } = this.switches;
    if (errorStatus === null || (errorRoute !== null && errorRoute !== route)) {
      return null;
    }
    this.errorCandidates += 1;
    return this.errorCandidates % errorEvery === 0 ? errorStatus : null;
  }

  takeWrongOffset(): boolean {
    if (this.switches.malformed !== 'wrong-offset') {
      return false;
    }
    this.switches = { ...this.switches, malformed: null };
    return true;
  }

  markDropFired(): void {
    if (!this.switches.dropEvery) {
      this.switches = { ...this.switches, dropAfterBytes: null };
    }
  }

  private async listenApi(): Promise<void> {
    if (this.isApiListening) {
      return;
    }
    await listen(this.apiServer, this.apiPort);
    this.apiPort = (this.apiServer.address() as AddressInfo).port;
    this.isApiListening = true;
    log('info', 'API listening', { port: this.apiPort });
  }

  /** Closes the listener and every open connection, so clients see refused or reset connections. */
  private async closeApi(): Promise<void> {
    if (!this.isApiListening) {
      return;
    }
    this.isApiListening = false;
    const closed = closeServer(this.apiServer);
    this.apiServer.closeAllConnections();
    await closed;
    log('info', 'API listener closed', { port: this.apiPort });
  }

  private failRequest(server: string, request: http.IncomingMessage, response: http.ServerResponse, error: unknown): void {
    log('error', `Handling a ${server} request failed`, { method: request.method, url: request.url, error: describeError(error) });
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const body = JSON.stringify({ code: 'internal-error', message: `模拟器内部错误：${describeError(error)}` });
    response.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    response.end(body);
  }
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
