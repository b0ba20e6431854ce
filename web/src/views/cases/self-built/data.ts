import type { FormItemRule } from 'element-plus';

import type { CaseUpdate } from '@/api/case-access';
import type { CaseDetail, NewCase } from '@/api/cases';
import { t } from '@/locales';
import { checkResidentIdNumber, residentIdTypeCode } from '@/utils/id-number';

export interface SuspectRow {
  /** Local key for v-for, so deleting a middle row keeps the other rows' inputs. */
  key: number;
  /** Server id of a stored suspect when editing; its ID number may stay empty to keep the stored one. */
  id?: number;
  name: string;
  idTypeCode: string;
  idNumber: string;
}

export interface CaseForm {
  name: string;
  caseNumber: string;
  acceptedOn: string;
  stage: string;
  suspects: SuspectRow[];
}

export const stageOptions = [t.selfBuilt.stageOpen, t.selfBuilt.stageClosed];

// Length limits checked before sending. The server checks the same fields again.
const maxNameLength = 200;
const maxCaseNumberLength = 100;

let nextRowKey = 1;

export function createSuspectRow(idTypeCode = residentIdTypeCode): SuspectRow {
  nextRowKey += 1;
  return { key: nextRowKey, name: '', idTypeCode, idNumber: '' };
}

export function createEmptyForm(): CaseForm {
  return { name: '', caseNumber: '', acceptedOn: '', stage: t.selfBuilt.stageOpen, suspects: [createSuspectRow()] };
}

/** Today's date in the browser's time zone as YYYY-MM-DD. */
export function getToday(): string {
  const now = new Date();
  const month = String(now.getMonth() + 1).padStart(2, '0');
  const day = String(now.getDate()).padStart(2, '0');
  return `${now.getFullYear()}-${month}-${day}`;
}

export const caseRules: Record<'name' | 'caseNumber' | 'acceptedOn', FormItemRule[]> = {
  name: [
    { required: true, whitespace: true, message: t.selfBuilt.nameRequired, trigger: 'blur' },
    { max: maxNameLength, message: t.selfBuilt.nameTooLong, trigger: 'blur' },
  ],
  caseNumber: [{ max: maxCaseNumberLength, message: t.selfBuilt.caseNumberTooLong, trigger: 'blur' }],
  acceptedOn: [
    { required: true, message: t.selfBuilt.acceptedOnRequired, trigger: 'change' },
    {
      validator: (_rule, value: string, callback) => {
        if (value && value > getToday()) callback(new Error(t.selfBuilt.acceptedOnFuture));
        else callback();
      },
      trigger: 'change',
    },
  ],
};

export const suspectNameRules: FormItemRule[] = [
  { required: true, whitespace: true, message: t.selfBuilt.suspectNameRequired, trigger: 'blur' },
];

export const idTypeRules: FormItemRule[] = [{ required: true, message: t.selfBuilt.idTypeRequired, trigger: 'change' }];

/** Rules for a row's 证件号: required, and for 居民身份证 the GB 11643 format and check character. */
export function createIdNumberRules(row: SuspectRow): FormItemRule[] {
  return [
    { required: row.id === undefined, whitespace: true, message: t.selfBuilt.idNumberRequired, trigger: 'blur' },
    {
      validator: (_rule, value: string, callback) => {
        if (row.idTypeCode !== residentIdTypeCode || !value) {
          callback();
          return;
        }

        const result = checkResidentIdNumber(value);
        if (result === 'format') callback(new Error(t.selfBuilt.idNumberFormat));
        else if (result === 'check-digit') callback(new Error(t.selfBuilt.idNumberCheckDigit));
        else callback();
      },
      trigger: 'blur',
    },
  ];
}

/** Builds the request body: trimmed text, an empty 部门受案号 left out so the server generates one. */
export function toNewCase(form: CaseForm): NewCase {
  const caseNumber = form.caseNumber.trim();

  return {
    name: form.name.trim(),
    ...(caseNumber ? { caseNumber } : {}),
    acceptedOn: form.acceptedOn,
    stage: form.stage,
    suspects: form.suspects.map((row) => {
      const idNumber = row.idNumber.trim();
      return {
        name: row.name.trim(),
        idTypeCode: row.idTypeCode,
        idNumber: row.idTypeCode === residentIdTypeCode ? idNumber.toUpperCase() : idNumber,
      };
    }),
  };
}

/** Fills the form from a stored case; ID numbers stay empty because the server only sends them masked. */
export function toEditForm(detail: CaseDetail): CaseForm {
  return {
    name: detail.name,
    caseNumber: detail.caseNumber,
    acceptedOn: detail.acceptedOn,
    stage: detail.stage,
    suspects: detail.suspects.map((suspect) => ({ ...createSuspectRow(suspect.idTypeCode), id: suspect.id, name: suspect.name })),
  };
}

/** Builds the edit request: an empty ID number of a stored suspect is left out, so the server keeps it. */
export function toCaseUpdate(form: CaseForm): CaseUpdate {
  const created = toNewCase(form);
  return {
    ...created,
    suspects: form.suspects.map((row, index) => {
      const suspect = created.suspects[index] as NewCase['suspects'][number];
      const idNumber = suspect.idNumber ? { idNumber: suspect.idNumber } : {};
      return { ...(row.id === undefined ? {} : { id: row.id }), name: suspect.name, idTypeCode: suspect.idTypeCode, ...idNumber };
    }),
  };
}
