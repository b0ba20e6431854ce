import { reactive, ref, shallowRef, type UnwrapRef } from 'vue';

import type { Page } from '@/api/cases';
import { describeError } from '@/api/client';

export interface PageQuery {
  page: number;
  pageSize: number;
}

export const pageSizes = [10, 20, 50, 100];

/**
 * Creates the state of a search form + table + pagination page. `fetchPage` gets the form values with
 * the page. Responses to superseded requests (a slow search overtaken by a newer one) are dropped.
 */
export function usePagedList<Item, Filters extends object>(
  fetchPage: (query: UnwrapRef<Filters> & PageQuery) => Promise<Page<Item>>,
  createFilters: () => Filters,
) {
  const filters = reactive(createFilters());
  const page = ref(1);
  const pageSize = ref(20);
  const items = shallowRef<Item[]>([]);
  const total = ref(0);
  const isLoading = ref(false);
  const loadError = ref<string | null>(null);
  let latestRequest = 0;

  async function load(): Promise<void> {
    latestRequest += 1;
    const requestNumber = latestRequest;
    isLoading.value = true;

    try {
      const query = Object.assign({}, filters, { page: page.value, pageSize: pageSize.value });
      const result = await fetchPage(query as UnwrapRef<Filters> & PageQuery);
      if (requestNumber !== latestRequest) return;

      items.value = result.items;
      total.value = result.total;
      loadError.value = null;
    } catch (error) {
      if (requestNumber !== latestRequest) return;
      loadError.value = describeError(error);
    } finally {
      if (requestNumber === latestRequest) isLoading.value = false;
    }
  }

  function search(): Promise<void> {
    page.value = 1;
    return load();
  }

  function reset(): Promise<void> {
    Object.assign(filters, createFilters());
    return search();
  }

  function changePageSize(size: number): Promise<void> {
    pageSize.value = size;
    return search();
  }

  return { filters, page, pageSize, items, total, isLoading, loadError, load, search, reset, changePageSize };
}
