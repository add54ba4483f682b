//! The `webhook-id` of a verified delivery, held without a heap allocation when short.
//!
//! Every verified delivery hands its id to the receiver (it is the idempotency key), so the
//! id is part of the hot path: at 64 B, allocating and freeing a `String` for it cost about
//! a sixth of what `verify_at` adds to its HMAC. Real ids are short (Svix's `msg_` + 27
//! characters, UUIDs, ULIDs), so they are copied into the value itself; a longer one falls
//! back to the heap.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The longest id held inline: the value is then 48 bytes, the size of a `String` and a
/// half, and every common id format fits.
const INLINE_CAPACITY: usize = 46;

/// The `webhook-id` of a verified delivery: visible ASCII other than `.`, as the strict
/// profile requires. Reads as a `&str` (it derefs to one, and compares, hashes and orders
/// as one), and converts into a `String` with `String::from` when an owned one is needed.
/// Any text converts into one with `WebhookId::from` (inline when short, like the
/// verifier's).
///
/// ```
/// # use hookspec::{Secret, Verifier};
/// # let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// # let headers = [
/// #     ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
/// #     ("webhook-timestamp", "1614265330"),
/// #     ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
/// # ];
/// let verified = Verifier::new()
///     .with_secret(secret)
///     .verify_at(&headers, br#"{"test": 2432232314}"#, 1614265330)
///     .unwrap();
/// assert_eq!(verified.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
/// assert!(verified.id.starts_with("msg_"));
/// let owned: String = verified.id.into();
/// # assert_eq!(owned, "msg_p5jXN8AQM9LWM0D4loKWxJek");
/// ```
#[derive(Clone)]
pub struct WebhookId(Repr);

#[derive(Clone)]
enum Repr {
    /// `bytes[..len]` is the id.
    Inline {
        len: u8,
        bytes: [u8; INLINE_CAPACITY],
    },
    Heap(Box<str>),
}

impl WebhookId {
    /// The id of a delivery whose `webhook-id` passed `is_valid_id` (visible ASCII). Any
    /// other bytes are kept lossily, so the value is always a valid `str`.
    #[inline]
    pub(crate) fn from_header(id: &[u8]) -> Self {
        if id.is_ascii()
            && let Some(inline) = Self::inline(id)
        {
            return inline;
        }
        Self(Repr::Heap(String::from_utf8_lossy(id).into()))
    }

    /// Any text, inline when it fits (an id checked by another authenticator than the
    /// verifier, or read back from storage).
    fn from_text(id: &str) -> Option<Self> {
        Self::inline(id.as_bytes())
    }

    /// `id` held inline, when it fits. The caller passes whole UTF-8 text (see `as_str`).
    #[inline]
    fn inline(id: &[u8]) -> Option<Self> {
        // At most INLINE_CAPACITY, so the length fits in a byte.
        let len = u8::try_from(id.len())
            .ok()
            .filter(|&len| usize::from(len) <= INLINE_CAPACITY)?;
        let mut bytes = [0; INLINE_CAPACITY];
        bytes[..id.len()].copy_from_slice(id);
        Some(Self(Repr::Inline { len, bytes }))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only whole UTF-8 text is stored inline (ASCII from `from_header`, a `str` from
            // `from_text`), so the check cannot fail; it stays because this crate forbids
            // the unchecked conversion.
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(id) => id,
        }
    }
}

impl Deref for WebhookId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for WebhookId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for WebhookId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for WebhookId {
    fn from(id: &str) -> Self {
        Self::from_text(id).unwrap_or_else(|| Self(Repr::Heap(id.into())))
    }
}

impl From<String> for WebhookId {
    fn from(id: String) -> Self {
        Self::from_text(&id).unwrap_or_else(|| Self(Repr::Heap(id.into_boxed_str())))
    }
}

impl From<WebhookId> for String {
    fn from(id: WebhookId) -> Self {
        match id.0 {
            Repr::Heap(id) => id.into(),
            Repr::Inline { .. } => id.as_str().to_owned(),
        }
    }
}

impl fmt::Display for WebhookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for WebhookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for WebhookId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for WebhookId {}

impl PartialEq<str> for WebhookId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for WebhookId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for WebhookId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<WebhookId> for str {
    fn eq(&self, other: &WebhookId) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<WebhookId> for &str {
    fn eq(&self, other: &WebhookId) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<WebhookId> for String {
    fn eq(&self, other: &WebhookId) -> bool {
        self == other.as_str()
    }
}

/// Hashes as the `str` does, as `Borrow<str>` requires (a `HashSet<WebhookId>` can then be
/// queried with a `&str`).
impl Hash for WebhookId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for WebhookId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for WebhookId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn short_ids_are_inline_and_long_ones_on_the_heap_with_the_same_text() {
        for len in [
            1,
            27,
            INLINE_CAPACITY - 1,
            INLINE_CAPACITY,
            INLINE_CAPACITY + 1,
            300,
        ] {
            let text: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let id = WebhookId::from_header(text.as_bytes());
            assert_eq!(id.as_str(), text);
            assert_eq!(id.len(), len);
            assert_eq!(String::from(id.clone()), text);
            assert_eq!(id.to_string(), text);
            assert_eq!(format!("{id:?}"), format!("{text:?}"));
            let inline = matches!(id.0, Repr::Inline { .. });
            assert_eq!(inline, len <= INLINE_CAPACITY, "len {len}");
        }
    }

    #[test]
    fn text_converts_inline_when_short_and_keeps_every_character() {
        for text in [
            "a".to_owned(),
            "é".repeat(INLINE_CAPACITY / 2),
            "x".repeat(INLINE_CAPACITY),
            "x".repeat(INLINE_CAPACITY + 1),
            "é".repeat(200),
        ] {
            let inline = text.len() <= INLINE_CAPACITY;
            for id in [
                WebhookId::from(text.as_str()),
                WebhookId::from(text.clone()),
            ] {
                assert_eq!(id, text);
                assert_eq!(matches!(id.0, Repr::Inline { .. }), inline, "{text}");
            }
        }
    }

    #[test]
    fn bytes_that_are_not_ascii_are_kept_lossily() {
        let id = WebhookId::from_header(b"caf\xc3\xa9");
        assert_eq!(id, "café");
        assert!(matches!(id.0, Repr::Heap(_)));
        assert_eq!(WebhookId::from_header(b"a\xffb"), "a\u{fffd}b");
    }

    #[test]
    fn compares_hashes_and_orders_as_its_text() {
        let a = WebhookId::from_header(b"msg_a");
        let long = "z".repeat(100);
        let b = WebhookId::from_header(long.as_bytes());
        assert_eq!(a, WebhookId::from_header(b"msg_a"));
        assert_ne!(a, b);
        assert_eq!(a, "msg_a");
        assert_eq!("msg_a", a);
        assert_eq!(a, String::from("msg_a"));
        assert_eq!(String::from("msg_a"), a);
        assert!(*"msg_a" == a);
        assert!(a == *"msg_a");
        // Each comparison with a text says no for another text, from either side.
        assert_ne!(a, "msg_b");
        assert_ne!("msg_b", a);
        assert_ne!(a, String::from("msg_b"));
        assert_ne!(String::from("msg_b"), a);
        assert!(*"msg_b" != a);
        assert!(a != *"msg_b");
        assert!(a < b);
        assert!(b > a);
        assert_eq!(a.cmp(&b), "msg_a".cmp(long.as_str()));
        let set: HashSet<WebhookId> = [a.clone(), b].into_iter().collect();
        assert!(set.contains("msg_a") && set.contains(long.as_str()) && !set.contains("msg_b"));
        let as_ref: &str = a.as_ref();
        let borrowed: &str = a.borrow();
        assert_eq!((as_ref, borrowed), ("msg_a", "msg_a"));
    }
}
