import { activeDeliveryStates, type DeliveryQuery, type DeliverySortKey, type DeliveryState } from '@/api/deliveries';
import { t } from '@/locales';

export interface DeliveryFilters {
  state: DeliveryState | '';
  caseName: string;
  caseNumber: string;
  sortBy: DeliverySortKey;
  order: 'asc' | 'desc';
}

export const stateOptions: { value: DeliveryState; label: string }[] = (['queued', 'retrying', 'sending', 'delivered', 'failed', 'skipped'] as const).map((value) => ({
  value,
  label: t.deliveries.states[value] ?? value,
}));

export function createFilters(): DeliveryFilters {
  return { state: '', caseName: '', caseNumber: '', sortBy: 'createdAt', order: 'desc' };
}

export function toQuery(filters: DeliveryFilters & { page: number; pageSize: number }): DeliveryQuery {
  return {
    state: filters.state,
    caseName: filters.caseName.trim(),
    caseNumber: filters.caseNumber.trim(),
    sortBy: filters.sortBy,
    order: filters.order,
    page: filters.page,
    pageSize: filters.pageSize,
  };
}

/** Returns whether the list shows a package that is still queued, waiting for a retry or sending, so the page keeps refreshing. */
export function hasActiveDelivery(items: { state: string }[]): boolean {
  return items.some((item) => activeDeliveryStates.includes(item.state));
}
