import { zhCN } from './zh-CN';

/** Active UI messages. Only zh-CN exists, and a second locale would be chosen here. */
export const t = zhCN;

export type { Messages } from './zh-CN';
