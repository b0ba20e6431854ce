import { describe, expect, it } from 'vitest';
import { LOCAL_READ_FAILED, YibananHttpError, YibananTransportError } from '../../src/adapters/yibanan/yibanan-http.client.js';
import { describeDeliveryFailure } from '../../src/modules/delivery/delivery.job.js';

/** Builds the error the HTTP client raises for a socket error with this code and Node's English message. */
function socketError(code: string, message: string): YibananTransportError {
  const cause = Object.assign(new Error(message), { code });
  return new YibananTransportError(`${code}: ${message}`, false, { cause });
}

describe('describeDeliveryFailure', () => {
  it('maps socket error codes to Chinese reasons', () => {
    const cases: [YibananTransportError, string][] = [
      [socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:38100'), '无法连接易办案系统（连接被拒绝），请检查网络或联系易办案管理员。'],
      [socketError('ECONNRESET', 'socket hang up'), '与易办案系统的连接意外中断，请检查网络或联系易办案管理员。'],
      [socketError('ETIMEDOUT', 'connect ETIMEDOUT 127.0.0.1:38100'), '易办案系统长时间没有响应（连接超时），请检查网络或联系易办案管理员。'],
      [new YibananTransportError('timed out after 60 s without a response', false, { code: 'ETIMEDOUT' }), '易办案系统长时间没有响应（连接超时），请检查网络或联系易办案管理员。'],
      [socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND yibanan.example'), '无法解析易办案系统的地址，请核对服务器设置 TONGLU_YIBANAN_URL。'],
      [socketError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), '易办案系统的 HTTPS 证书校验失败，请联系易办案管理员。'],
      [new YibananTransportError('reading the local file failed: EIO', false, { code: LOCAL_READ_FAILED }), '读取本地存储中的文件失败，请联系系统管理员校验存储。'],
      [new YibananTransportError('commit receipt lacks state, receiptId or files', true), '易办案返回的数据不符合接口约定，请联系易办案管理员。'],
      [new YibananTransportError('aborted'), '与易办案系统通信失败，请检查网络或联系易办案管理员。'],
    ];
    for (const [error, expected] of cases) expect(describeDeliveryFailure(error), error.message).toBe(expected);
  });

  it('keeps English socket text out of the reason', () => {
    const reason = describeDeliveryFailure(socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:38100'));
    expect(reason).not.toMatch(/ECONNREFUSED/);
    expect(reason).not.toMatch(/127\.0\.0\.1/);
  });

  it('ends a receiver message cleanly inside brackets', () => {
    const reason = describeDeliveryFailure(new YibananHttpError(400, 'MANIFEST_INVALID', '清单格式错误。', 'PUT manifest'));
    expect(reason).toBe('易办案拒收推送包（HTTP 400）：清单格式错误。');
  });
});
