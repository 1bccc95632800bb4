/**
 * The keys the certificate manager makes. Plain values with no imports: the panel's UI offers the
 * same choices and imports them from here.
 */
export const RSA_SIZES = [2048, 3072, 4096] as const;
export const EC_CURVES = ['P-256', 'P-384'] as const;

export type KeySpec = { type: 'rsa'; bits: (typeof RSA_SIZES)[number] } | { type: 'ec'; curve: (typeof EC_CURVES)[number] };

export const keySpecLabel = (k: KeySpec): string => (k.type === 'rsa' ? `RSA ${k.bits}` : `EC ${k.curve}`);
