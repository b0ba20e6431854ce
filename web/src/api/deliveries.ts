import type { Page } from './cases';
import { request } from './client';

export type DeliveryState = 'queued' | 'retrying' | 'sending' | 'delivered' | 'failed' | 'skipped';
export type DeliveryKind = 'session' | 'supplement';
/** States of a package that the worker will still change without a user action. */
export const activeDeliveryStates: readonly string[] = ['queued', 'retrying', 'sending'];

export type DeliverySortKey = 'createdAt' | 'updatedAt' | 'packageId' | 'bytesTotal' | 'state';

/** One 易办案 package of a session. */
export interface Delivery {
  id: number;
  packageId: string;
  sessionId: number;
  kind: DeliveryKind;
  kindLabel: string;
  followsPackageId: string | null;
  mode: 'http' | 'folder';
  state: DeliveryState;
  stateLabel: string;
  bytesTotal: number;
  bytesSent: number;
  attempts: number;
  maxAttempts: number;
  /** Chinese reason of the last failure. */
  lastError: string | null;
  receiptId: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  /** Whether the current user may press 重试, which the server allows only on a failed package. */
  canRetry: boolean;
}

export interface DeliveryListItem extends Delivery {
  caseId: number;
  caseName: string;
  caseNumber: string;
  suspectName: string;
}

/** 易办案 status of one session: a package state, or skipped, disabled or waiting while it has no package. */
export interface SessionDeliveryStatus {
  state: DeliveryState | 'disabled' | 'waiting';
  stateLabel: string;
  packages: Delivery[];
}

export interface DeliveryQuery {
  state?: DeliveryState | '';
  caseName?: string;
  caseNumber?: string;
  sortBy?: DeliverySortKey;
  order?: 'asc' | 'desc';
  page: number;
  pageSize: number;
}

export function listDeliveries(query: DeliveryQuery, isSilent = false): Promise<Page<DeliveryListItem>> {
  return request('/api/deliveries', { query: { ...query }, isSilent });
}

export function retryDelivery(id: number): Promise<DeliveryListItem> {
  return request(`/api/deliveries/${id}/retry`, { method: 'POST' });
}
