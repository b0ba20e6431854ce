import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

/** Chinese names of request fields, used to turn schema errors into messages that name what to fix. */
const fieldLabels: Record<string, string> = {
  username: '用户名',
  password: '密码',
  name: '名称',
  caseNumber: '部门受案号',
  acceptedOn: '受理时间',
  stage: '案件状态',
  suspects: '嫌疑人信息',
  idTypeCode: '证件类型',
  idNumber: '证件号',
  caseId: '案件',
  suspectId: '嫌疑人',
  uploadToYibanan: '上传易办案',
  sortOrder: '排序号',
  vendor: '厂商',
  nvrHost: '硬盘录像机IP',
  nvrHttpPort: 'HTTP端口',
  nvrRtspPort: 'RTSP端口',
  deviceType: '平台设备',
  channel: '平台通道',
  pcIp: '房间IP',
  enabled: '启用状态',
  id: '编号',
  page: '页码',
  pageSize: '每页条数',
  keyword: '关键字',
  source: '案件来源',
  'suspects.name': '对象姓名',
  granteeId: '授权人员',
  granteeIds: '授权人员',
  handlerId: '新承办人',
  revokeGranteeIds: '取消授权的人员',
  roomId: '办案房间',
  startedAt: '开始时间',
  endedAt: '结束时间',
  reason: '补录原因',
  caseName: '案件名称',
  suspectName: '嫌疑人姓名',
  acceptedFrom: '受理日期',
  acceptedTo: '受理日期',
  sortBy: '排序字段',
  order: '排序方向',
};

function labelOf(error: FastifySchemaValidationError, overrides: Record<string, string>): string {
  const missing = (error.params as { missingProperty?: string }).missingProperty;
  const parts = error.instancePath.split('/').filter((part) => part !== '' && !/^\d+$/.test(part));
  if (missing) parts.push(missing);
  // "suspects.name" names a nested field; a label for the plain key applies only at the top level.
  const dotted = parts.join('.');
  const key = parts[parts.length - 1] ?? '';
  return overrides[dotted] ?? fieldLabels[dotted] ?? fieldLabels[key] ?? (key || '请求内容');
}

/** Turns the first schema validation error into one Chinese sentence; a route may name its own fields. */
export function describeValidationError(errors: FastifySchemaValidationError[], overrides: Record<string, string> = {}): string {
  const error = errors[0];
  if (!error) return '提交的内容有误，请检查后重试。';
  const label = labelOf(error, overrides);
  const params = error.params as { limit?: number; allowedValues?: unknown[] };
  switch (error.keyword) {
    case 'required':
      return `请填写${label}。`;
    case 'type':
      return `${label}的格式不正确。`;
    case 'minLength':
      return params.limit === 1 ? `请填写${label}。` : `${label}至少需要 ${params.limit} 个字符。`;
    case 'maxLength':
      return `${label}不能超过 ${params.limit} 个字符。`;
    case 'minimum':
      return `${label}不能小于 ${params.limit}。`;
    case 'maximum':
      return `${label}不能大于 ${params.limit}。`;
    case 'minItems':
      return `请至少填写 ${params.limit} 项${label}。`;
    case 'maxItems':
      return `${label}最多 ${params.limit} 项。`;
    case 'enum':
    case 'const':
    case 'anyOf':
      return `${label}的取值无效。`;
    case 'pattern':
    case 'format':
      return `${label}的格式不正确。`;
    case 'additionalProperties':
      return '提交了无法识别的字段，请刷新页面后重试。';
    default:
      return `${label}的内容无效。`;
  }
}
