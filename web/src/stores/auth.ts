import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

import * as authApi from '@/api/auth';
import type { Me } from '@/api/auth';
import { ApiError, setCsrfToken } from '@/api/client';
import { hasPermission, type Permission } from '@/utils/permission';

export const useAuthStore = defineStore('auth', () => {
  const me = ref<Me | null>(null);
  /** Whether /api/auth/me has been asked since the page loaded (or since the last login/logout). */
  const isLoaded = ref(false);

  const user = computed(() => me.value?.user ?? null);
  const isLoggedIn = computed(() => me.value !== null);
  const consoleRoom = computed(() => me.value?.consoleRoom ?? null);
  const clientIp = computed(() => me.value?.clientIp ?? '');
  const passwordPolicy = computed(() => me.value?.passwordPolicy ?? { minLength: 8, isInitialPasswordDefault: true });

  function can(permission: Permission): boolean {
    return hasPermission(user.value?.roles ?? [], permission);
  }

  /** Whether the user must change the password before using anything else. */
  const mustChangePassword = computed(() => Boolean(user.value?.passwordChangeReason));

  /** Path of the page opened after login: the console on a room PC, else the recordings list. */
  const homePath = computed(() => {
    if (consoleRoom.value && can('case:record:start')) return '/console';
    return '/cases/recordings';
  });

  /** Reloads the current user. A 401 means "not logged in", and other failures are thrown. */
  async function refresh(): Promise<boolean> {
    try {
      me.value = await authApi.fetchMe();
      setCsrfToken(me.value.csrfToken);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      me.value = null;
    } finally {
      isLoaded.value = true;
    }

    return me.value !== null;
  }

  async function ensureLoaded(): Promise<boolean> {
    if (isLoaded.value) return isLoggedIn.value;
    return refresh();
  }

  async function login(username: string, password: string): Promise<void> {
    const result = await authApi.login(username, password);
    setCsrfToken(result.csrfToken);
    await refresh();
  }

  async function logout(): Promise<void> {
    try {
      await authApi.logout();
    } finally {
      clear();
    }
  }

  /** Forgets the user locally, e.g. after the server ended the login session. */
  function clear(): void {
    me.value = null;
    setCsrfToken(null);
    isLoaded.value = true;
  }

  return { me, isLoaded, user, isLoggedIn, consoleRoom, clientIp, passwordPolicy, homePath, mustChangePassword, can, refresh, ensureLoaded, login, logout, clear };
});
