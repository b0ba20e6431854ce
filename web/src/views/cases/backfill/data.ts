import type { FormItemRule } from 'element-plus';

import { t } from '@/locales';

export interface BackfillForm {
  caseId: number | null;
  suspectId: number | null;
  roomId: number | null;
  /** Local time as YYYY-MM-DD HH:mm:ss, the date picker's value format. */
  startedAt: string;
  endedAt: string;
  reason: string;
}

export const dateTimeFormat = 'YYYY-MM-DD HH:mm:ss';

export function createEmptyForm(): BackfillForm {
  return { caseId: null, suspectId: null, roomId: null, startedAt: '', endedAt: '', reason: '' };
}

/** Converts the picker's local time to ISO 8601 UTC for the API. */
export function toIso(localTime: string): string {
  return new Date(localTime.replace(' ', 'T')).toISOString();
}

/** Rules checked before sending; the server checks the same and also the 24-hour limit. */
export function createRules(form: BackfillForm): Record<keyof BackfillForm, FormItemRule[]> {
  return {
    caseId: [{ required: true, message: t.caseAccess.caseRequired, trigger: 'change' }],
    suspectId: [{ required: true, message: t.caseAccess.suspectRequired, trigger: 'change' }],
    roomId: [{ required: true, message: t.caseAccess.roomRequired, trigger: 'change' }],
    startedAt: [{ required: true, message: t.caseAccess.startRequired, trigger: 'change' }],
    endedAt: [
      { required: true, message: t.caseAccess.endRequired, trigger: 'change' },
      {
        validator: (_rule, value: string, callback) => {
          if (value && form.startedAt && Date.parse(toIso(value)) <= Date.parse(toIso(form.startedAt))) callback(new Error(t.caseAccess.endBeforeStart));
          else if (value && Date.parse(toIso(value)) > Date.now()) callback(new Error(t.caseAccess.endInFuture));
          else callback();
        },
        trigger: 'change',
      },
    ],
    reason: [{ required: true, whitespace: true, message: t.caseAccess.reasonRequired, trigger: 'blur' }],
  };
}
