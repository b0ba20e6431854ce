/**
 * Chinese labels of the audit actions, shown in 安全审计 and written to exports. An action without a
 * label is shown by its code, so a module may record a new action before a label is added here.
 */
export const auditActionLabels: Record<string, string> = {
  'auth.login': '登录',
  'auth.logout': '退出登录',
  'auth.password.change': '修改密码',
  'case.create': '新增自建案件',
  'case.update': '编辑自建案件',
  'case.view': '查看案件详情',
  'case.grant': '案件同录授权',
  'case.revoke': '撤销同录授权',
  'case.transfer': '案件移交',
  'session.list.view': '查看同录记录',
  'session.start': '开始办案',
  'session.end': '结束办案',
  'session.backfill': '视频补录',
  'session.archive.retry': '重试归档',
  'delivery.delivered': '易办案推送成功',
  'delivery.failed': '易办案推送失败',
  'delivery.retry': '重试易办案推送',
  'file.play': '播放',
  'file.download': '下载',
  'file.upload': '上传文件',
  'file.delete': '删除上传文件',
  'file.access.view': '查看访问记录',
  'room.create': '新增房间',
  'room.update': '编辑房间',
  'room.enable': '启用房间',
  'room.disable': '停用房间',
  'user.create': '新增用户',
  'user.update': '编辑用户',
  'user.disable': '停用用户',
  'user.enable': '启用用户',
  'user.delete': '删除用户',
  'user.password.reset': '重置密码',
  'audit.search': '查询审计日志',
  'audit.export': '导出审计日志',
  'audit.verify': '校验日志完整性',
  'unified.sync.request': '立即同步大统一',
  'unified.sync': '大统一同步',
  'unified.import': '大统一文件导入',
};

export const auditResultLabels: Record<string, string> = { success: '成功', failure: '失败' };

const roleLabels: Record<string, string> = { officer: '办案人员', sysadmin: '系统管理员', secadmin: '安全管理员', auditor: '安全审计员' };

export function labelAction(action: string): string {
  return auditActionLabels[action] ?? action;
}

/** Returns the Chinese names of comma-separated role codes, joined with 、. */
export function labelRoles(roles: string | null): string {
  if (!roles) return '';
  return roles
    .split(',')
    .filter(Boolean)
    .map((role) => roleLabels[role] ?? role)
    .join('、');
}
