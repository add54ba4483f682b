//! RSA keys for RS256 JWTs (feature `jwks`): the public keys a JWKS publishes, and the
//! private keys hookspec signs test tokens with.
//!
//! Verification goes through `jsonwebtoken`'s RustCrypto provider (the code path other Rust
//! receivers use); signing goes straight through the `rsa` crate with a key parsed once.
//! Both sides accept moduli of 2048 to 8192 bits only: RFC 7518 section 3.3 requires at least
//! 2048, and the upper bound keeps a hostile key set from making verification expensive.

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey, crypto::rust_crypto::DEFAULT_PROVIDER};
use rsa::pkcs1::{DecodeRsaPrivateKey as _, DecodeRsaPublicKey as _};
use rsa::pkcs1v15;
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePublicKey as _, LineEnding};
use rsa::signature::{SignatureEncoding as _, Signer as _};
use rsa::traits::PublicKeyParts as _;
use rsa::{BoxedUint, PrivateKey as RsaPrivate, PublicKey as RsaPublic};
use sha2::Sha256;

use super::{KeyError, fingerprint};

/// The smallest RSA modulus accepted, in bits (RFC 7518 section 3.3).
pub const RSA_MIN_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits.
pub const RSA_MAX_BITS: usize = 8192;

/// An RSA public key for RS256 (RSASSA-PKCS1-v1_5 with SHA-256), validated on construction:
/// a modulus of [`RSA_MIN_BITS`] to [`RSA_MAX_BITS`] bits and an exponent the `rsa` crate
/// accepts (odd, at least 3, below 2^33).
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    /// Big-endian modulus without leading zero bytes.
    n: Vec<u8>,
    /// Big-endian public exponent without leading zero bytes.
    e: Vec<u8>,
}

impl RsaPublicKey {
    /// Builds a key from its big-endian modulus and exponent (leading zero bytes are ignored,
    /// as some JWKS publishers emit them).
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        if n.is_empty() || e.is_empty() {
            return Err(KeyError::InvalidRsaKey);
        }
        check_size(bit_length(n))?;
        // Let the rsa crate apply its own checks (odd modulus, exponent range) once, here,
        // so a key that parses is a key that verification will accept.
        RsaPublic::new_with_size_limits(
            BoxedUint::from_be_slice_vartime(n),
            BoxedUint::from_be_slice_vartime(e),
            RSA_MIN_BITS..=RSA_MAX_BITS,
        )
        .map_err(|_| KeyError::InvalidRsaKey)?;
        Ok(Self {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// Parses a PEM public key: SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = RsaPublic::from_public_key_pem(pem)
            .or_else(|_| RsaPublic::from_pkcs1_pem(pem))
            .map_err(|_| KeyError::InvalidPem)?;
        Self::from_components(&key.n_bytes(), &key.e_bytes())
    }

    /// The big-endian modulus (no leading zero bytes).
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }

    /// The big-endian public exponent (no leading zero bytes).
    pub fn exponent(&self) -> &[u8] {
        &self.e
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        bit_length(&self.n)
    }

    /// Whether `signature` is a valid RS256 signature of `message` under this key.
    ///
    /// Runs `jsonwebtoken`'s RustCrypto RS256 verifier directly (never the process-wide
    /// provider, which panics when a build enables both of its backends).
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        let key = DecodingKey::from_rsa_raw_components(&self.n, &self.e);
        match (DEFAULT_PROVIDER.verifier_factory)(&Algorithm::RS256, &key) {
            Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
            Err(_) => false,
        }
    }

    /// The SPKI PEM (`BEGIN PUBLIC KEY`) text of the key: what a confused HS256 verifier
    /// would use as its HMAC secret, which is why the algorithm-confusion test signs with it.
    pub fn to_spki_pem(&self) -> String {
        let key = RsaPublic::new_with_size_limits(
            BoxedUint::from_be_slice_vartime(&self.n),
            BoxedUint::from_be_slice_vartime(&self.e),
            RSA_MIN_BITS..=RSA_MAX_BITS,
        )
        .expect("validated on construction");
        key.to_public_key_pem(LineEnding::LF)
            .expect("an RSA public key always encodes")
    }

    /// A short fingerprint of the modulus for reports.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.n)
    }
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPublicKey({self})")
    }
}

impl fmt::Display for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rsa-{}[{}]", self.bits(), self.fingerprint())
    }
}

/// An RSA private key that signs RS256 JWTs (for tests, `hookspec serve` and the vectors).
///
/// Redacted in `Debug` and `Display`: only the public key's size and fingerprint are shown.
#[derive(Clone)]
pub struct RsaSigningKey {
    signer: pkcs1v15::SigningKey<Sha256>,
    public: RsaPublicKey,
}

impl RsaSigningKey {
    /// Parses a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what `openssl genpkey` writes)
    /// or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = RsaPrivate::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivate::from_pkcs1_pem(pem))
            .map_err(|_| KeyError::InvalidPem)?;
        Self::from_private(key)
    }

    /// Generates a fresh key with a modulus of `bits` bits from the operating system's
    /// random source. Slow in unoptimised builds (seconds for 2048 bits): tests use the
    /// committed keys under `tests/keys/` instead.
    pub fn generate(bits: usize) -> Result<Self, KeyError> {
        check_size(bits)?;
        let key = RsaPrivate::new(&mut getrandom::SysRng, bits)
            .map_err(|_| KeyError::RandomUnavailable)?;
        Self::from_private(key)
    }

    fn from_private(key: RsaPrivate) -> Result<Self, KeyError> {
        let public = RsaPublicKey::from_components(&key.n_bytes(), &key.e_bytes())?;
        Ok(Self {
            signer: pkcs1v15::SigningKey::<Sha256>::new(key),
            public,
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Signs `message` with RS256 (RSASSA-PKCS1-v1_5, SHA-256), which is deterministic: the
    /// same key and message always give the same signature.
    pub fn sign_rs256(&self, message: &[u8]) -> Vec<u8> {
        self.signer.sign(message).to_vec()
    }
}

impl fmt::Debug for RsaSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaSigningKey({self})")
    }
}

impl fmt::Display for RsaSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rsa-private[redacted, public {}]", self.public)
    }
}

/// The modulus size policy, one place for parsed and generated keys alike (so the limits
/// are tested at their exact edges on parsed keys, without generating an 8192-bit key).
fn check_size(bits: usize) -> Result<(), KeyError> {
    if bits < RSA_MIN_BITS {
        return Err(KeyError::RsaKeyTooSmall { bits });
    }
    if bits > RSA_MAX_BITS {
        return Err(KeyError::RsaKeyTooLarge { bits });
    }
    Ok(())
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Bit length of a big-endian integer without leading zero bytes.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(&top) => (bytes.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = include_str!("../../../../tests/keys/rsa-a.pem");

    #[test]
    fn signs_and_verifies_rs256() {
        let key = RsaSigningKey::from_pem(KEY_A).unwrap();
        assert_eq!(key.public_key().bits(), 2048);
        let sig = key.sign_rs256(b"header.claims");
        assert_eq!(sig.len(), 256);
        assert!(key.public_key().verify_rs256(b"header.claims", &sig));
        assert!(!key.public_key().verify_rs256(b"header.claimz", &sig));
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert!(!key.public_key().verify_rs256(b"header.claims", &bad));
        assert_eq!(
            sig,
            key.sign_rs256(b"header.claims"),
            "PKCS#1 v1.5 is deterministic"
        );
    }

    #[test]
    fn rejects_small_and_malformed_keys() {
        let key = RsaSigningKey::from_pem(KEY_A).unwrap();
        let n = key.public_key().modulus();
        let e = key.public_key().exponent();
        assert_eq!(e, [1, 0, 1]);
        assert_eq!(
            RsaPublicKey::from_components(&n[..128], e),
            Err(KeyError::RsaKeyTooSmall { bits: 1024 })
        );
        let mut even = n.to_vec();
        *even.last_mut().unwrap() &= 0xfe;
        assert_eq!(
            RsaPublicKey::from_components(&even, e),
            Err(KeyError::InvalidRsaKey)
        );
        assert_eq!(
            RsaPublicKey::from_components(n, &[]),
            Err(KeyError::InvalidRsaKey)
        );
        let mut padded = vec![0, 0];
        padded.extend_from_slice(n);
        assert_eq!(
            RsaPublicKey::from_components(&padded, e).unwrap(),
            *key.public_key()
        );
        assert_eq!(
            RsaSigningKey::from_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            )
            .unwrap_err(),
            KeyError::InvalidPem
        );
    }

    #[test]
    fn pem_round_trip_and_redaction() {
        let key = RsaSigningKey::from_pem(KEY_A).unwrap();
        let pem = key.public_key().to_spki_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(RsaPublicKey::from_pem(&pem).unwrap(), *key.public_key());
        let shown = format!("{key:?} {key}");
        assert!(!shown.contains("PRIVATE"));
        assert!(shown.contains(&key.public_key().fingerprint()));
    }
}
