/** Password rules: a minimum length and at least 3 of the 4 character classes. */
export interface PasswordPolicy {
  minLength: number;
  maxAgeDays: number;
}

const REQUIRED_CLASSES = 3;

/** Counts the character classes used: upper-case letters, lower-case letters, digits, other characters. */
export function countCharacterClasses(password: string): number {
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/];
  return classes.filter((pattern) => pattern.test(password)).length;
}

/** Returns the Chinese reason a new password is rejected, or null when it is acceptable. */
export function checkPasswordStrength(password: string, policy: PasswordPolicy): string | null {
  if (password.length < policy.minLength || countCharacterClasses(password) < REQUIRED_CLASSES) {
    return `新密码至少 ${policy.minLength} 位，且须包含大写字母、小写字母、数字、特殊字符中的三类。`;
  }
  return null;
}

/** Returns whether a password set at `changedAt` is past the maximum age at `now`. A max age of 0 never expires. */
export function isPasswordExpired(changedAt: string, now: Date, maxAgeDays: number): boolean {
  if (maxAgeDays <= 0) return false;
  return now.getTime() - Date.parse(changedAt) > maxAgeDays * 24 * 60 * 60 * 1000;
}
