/** Stable error codes with their HTTP status and the Chinese message shown to the user. */
export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, message: '提交的内容有误，请检查后重试。' },
  UNAUTHENTICATED: { status: 401, message: '请先登录。' },
  INVALID_CREDENTIALS: { status: 401, message: '用户名或密码错误。' },
  ACCOUNT_DISABLED: { status: 403, message: '该账号已停用，请联系系统管理员。' },
  FORBIDDEN: { status: 403, message: '没有权限执行此操作。' },
  NOT_ROOM_PC: { status: 403, message: '此功能只能在办案区房间内的电脑上使用。' },
  NOT_FOUND: { status: 404, message: '请求的内容不存在。' },
  CASE_NOT_FOUND: { status: 404, message: '案件不存在或您没有该案件的权限。' },
  SESSION_NOT_FOUND: { status: 404, message: '同录记录不存在或您没有权限查看。' },
  FILE_NOT_FOUND: { status: 404, message: '文件不存在或您没有权限查看。' },
  ROOM_NOT_FOUND: { status: 404, message: '房间不存在。' },
  SUSPECT_NOT_IN_CASE: { status: 400, message: '所选嫌疑人不属于该案件，请重新选择。' },
  CASE_NUMBER_TAKEN: { status: 409, message: '部门受案号已被其他案件使用，请更换。' },
  ROOM_BUSY: { status: 409, message: '该房间正在同录，请先结束当前办案。' },
  SUSPECT_BUSY: { status: 409, message: '该嫌疑人正在其他房间同录，请先结束该次办案。' },
  ROOM_DISABLED: { status: 409, message: '该房间已停用，请联系系统管理员。' },
  ROOM_PC_IP_TAKEN: { status: 409, message: '房间IP已被其他房间使用，每台办案电脑只能绑定一个房间。' },
  SESSION_NOT_ACTIVE: { status: 409, message: '该次同录已经结束。' },
  SESSION_NOT_FAILED: { status: 409, message: '只有归档失败的同录才能重试。' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: '请求的文件范围无效。' },
  NVR_OFFLINE: { status: 502, message: '无法连接硬盘录像机，请检查设备是否开机、网络是否连通。' },
  NVR_AUTH_FAILED: { status: 502, message: '硬盘录像机登录失败，请核对登录账号和登录密码。' },
  NVR_TIMEOUT: { status: 504, message: '硬盘录像机响应超时，请稍后重试。' },
  NVR_BAD_RESPONSE: { status: 502, message: '硬盘录像机返回的数据无效，请稍后重试。' },
  NVR_NO_RECORDING: { status: 502, message: '硬盘录像机中没有该时段的录像。' },
  NVR_UNSUPPORTED: { status: 501, message: '该品牌硬盘录像机暂不支持此操作。' },
  ACCOUNT_LOCKED: { status: 423, message: '登录失败次数过多，账号已锁定，请稍后再试或联系安全管理员。' },
  LOGIN_RATE_LIMITED: { status: 429, message: '登录尝试过于频繁，请一分钟后再试。' },
  PASSWORD_CHANGE_REQUIRED: { status: 403, message: '请先修改密码：首次登录、密码被重置或密码已过期时须修改密码后才能使用系统。' },
  CSRF_TOKEN_INVALID: { status: 403, message: '请求校验失败，请刷新页面后重试。' },
  OLD_PASSWORD_WRONG: { status: 400, message: '原密码不正确。' },
  PASSWORD_TOO_WEAK: { status: 400, message: '新密码至少 8 位，且须包含大写字母、小写字母、数字、特殊字符中的三类。' },
  PASSWORD_UNCHANGED: { status: 400, message: '新密码不能与原密码相同。' },
  USER_NOT_FOUND: { status: 404, message: '用户不存在。' },
  USERNAME_TAKEN: { status: 409, message: '登录账号已被使用，请更换。' },
  USER_HAS_HISTORY: { status: 409, message: '该用户已有办案、登录或操作记录，不能删除，请改为停用。' },
  OWN_ACCOUNT_CHANGE: { status: 403, message: '不能修改自己的角色、状态，也不能删除或重置自己的账号。' },
  ALL_ADMIN_ROLES: { status: 400, message: '三员分立：同一账号不能同时担任系统管理员、安全管理员和安全审计员。' },
  DEPARTMENT_NOT_FOUND: { status: 404, message: '部门不存在。' },
  DEPARTMENT_NAME_TAKEN: { status: 409, message: '部门名称已存在，请更换。' },
  DEPARTMENT_CYCLE: { status: 400, message: '上级部门不能是该部门自身或其下级部门。' },
  NOT_CASE_HANDLER: { status: 403, message: '只有案件承办人可以进行案件授权。' },
  PERSON_NOT_FOUND: { status: 400, message: '所选人员不存在或已停用，请重新选择。' },
  GRANT_TO_SELF: { status: 400, message: '不能授权给自己：承办人已有本案件的同录权限。' },
  GRANT_EXISTS: { status: 409, message: '该人员已有本案件的同录权限，无需重复授权。' },
  GRANT_NOT_FOUND: { status: 404, message: '该人员没有本案件的授权，无需取消。' },
  CASE_NOT_SELF_BUILT: { status: 409, message: '只有自建案件可以修改，大统一2.0 的案件请在大统一中修改。' },
  SUSPECT_HAS_SESSIONS: { status: 409, message: '该嫌疑人已有同录记录，不能删除。' },
  DOCUMENT_TYPE_NOT_ALLOWED: { status: 415, message: '文件类型不支持，只能上传 PDF、图片（JPG、PNG、GIF）、Word 文档（doc、docx）或文本文件（txt）。' },
  DOCUMENT_TOO_LARGE: { status: 413, message: '文件过大，请压缩或拆分后再上传。' },
  DOCUMENT_EMPTY: { status: 400, message: '文件内容为空，请重新选择文件。' },
  OFFSITE_UPLOAD_UNFINISHED: { status: 409, message: '还有视频尚未上传完成，请等待上传完成或删除后再结束办案。' },
  OFFSITE_END_ELSEWHERE: { status: 409, message: '非办案区同录请在【非办案区同录】-【同录视频上传】页面上传视频后结束办案。' },
  OFFSITE_NO_VIDEO: { status: 409, message: '请先上传同录视频，再结束办案。' },
  NOT_A_VIDEO: { status: 415, message: '上传的文件不是视频文件，请选择同录视频后重新上传。' },
  VIDEO_TOO_LARGE: { status: 413, message: '视频文件过大，请联系系统管理员调整上限。' },
  DELIVERY_NOT_FOUND: { status: 404, message: '推送记录不存在或您没有权限查看。' },
  DELIVERY_NOT_FAILED: { status: 409, message: '只有推送失败的记录才能重试。' },
  DELIVERY_RETRY_FORBIDDEN: { status: 403, message: '只有案件承办人或系统管理员可以重试推送。' },
  UNIFIED_NOT_CONFIGURED: { status: 409, message: '尚未配置大统一2.0 接口（TONGLU_UNIFIED_URL、TONGLU_UNIFIED_TOKEN、TONGLU_UNIFIED_DWBM），请联系运维人员配置后再同步，或使用文件导入。' },
  UNIFIED_SYNC_BUSY: { status: 409, message: '大统一同步正在进行中，请等待本次同步结束后再试。' },
  CASE_DELETED_IN_UNIFIED: { status: 409, message: '该案件已在大统一删除，不能再开始同录。' },
  IMPORT_FILE_INVALID: { status: 400, message: '导入文件无法读取，请使用下载的模板（.xlsx）或 JSON 文件。' },
  IMPORT_FILE_TOO_LARGE: { status: 413, message: '导入文件过大，请拆分后分批导入。' },
  EMPLOYEE_NO_TAKEN: { status: 409, message: '工号已被其他用户使用，请核对。' },
  INTERNAL: { status: 500, message: '服务器内部错误，请稍后重试或联系系统管理员。' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** An expected failure with a stable code; the global handler turns it into `{ code, message }`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? errorCatalogue[code].message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
  }
}

/** Shorthand for a 400 that names the field and what to fix. */
export function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', message);
}
