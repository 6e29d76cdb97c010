"""Keys and digital signatures: demo bureau CA, PKCS#12 keys, PAdES signing and verification (pyHanko)."""
