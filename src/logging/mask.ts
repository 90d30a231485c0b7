/**
 * Personal-data masking (庆政办发〔2022〕157号 第二十七条: callers' information must be kept confidential).
 * Caller numbers and names never appear unmasked in logs; only roles that need them see them in full.
 */

/** Mask a phone number keeping the first 3 and last 4 digits of mobiles (138****8000), less for short numbers. */
export function maskPhone(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  let digits = s.replace(/\D/g, '');
  // A mainland mobile with the country code (+86 138…): mask the national number.
  if (/^861\d{10}$/.test(digits)) digits = digits.slice(2);
  if (digits.length === 0) return s.length > 0 ? '***' : '';
  if (digits.length <= 4) return '*'.repeat(digits.length);
  if (digits.length <= 7) return digits.slice(0, 1) + '*'.repeat(digits.length - 3) + digits.slice(-2);
  return digits.slice(0, 3) + '*'.repeat(digits.length - 7) + digits.slice(-4);
}

/** Mask a Chinese personal name: keep the family name (first character), star the rest (张*, 欧阳**). */
export function maskName(value: string | null | undefined): string {
  if (!value) return '';
  const chars = Array.from(value);
  if (chars.length === 1) return '*';
  return chars[0] + '*'.repeat(chars.length - 1);
}

const PHONE_IN_TEXT = /(?<!\d)(\+?86)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)/g;

/** Mask every phone-number-looking run inside free text (log messages, AMI frames). */
export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m) => maskPhone(m));
}
