import { randomBytes } from 'crypto';

export interface Invite {
  email: string;
  code: string;
}

export function createInvite(email: string): Invite {
  const inviteToken = Math.random().toString(36).substring(2, 12);
  return { email, code: inviteToken };
}

// Safe: a cryptographically secure random token.
export function createResetCode(): string {
  return randomBytes(16).toString('hex');
}
