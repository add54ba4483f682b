//! The byte format of the structured fuzz inputs.
//!
//! A small, invertible, documented format instead of `arbitrary`: the seed corpora are built
//! from the known-answer vectors by *encoding* cases ([`Writer`]), which `arbitrary` cannot do
//! (it has no inverse). Decoding never fails: missing bytes read as zero or empty, so every
//! byte string the fuzzer produces is a case.
//!
//! Primitives, all little-endian: `u8`; `u16`; `u32`; `u64`; `bytes` = `u16` length followed
//! by that many bytes (cut short at the end of the input); a choice = one `u8` taken modulo
//! the number of alternatives.

/// Reads fields from fuzzer bytes; past the end every read yields zero or empty.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        head
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let head = self.take(N);
        out[..head.len()].copy_from_slice(head);
        out
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    /// A choice among `n` alternatives (`n > 0`).
    pub fn choice(&mut self, n: u8) -> u8 {
        self.u8() % n
    }

    /// A boolean (the low bit of one byte).
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    /// A `u16`-length-prefixed byte string.
    pub fn bytes(&mut self) -> Vec<u8> {
        let len = usize::from(self.u16());
        self.take(len).to_vec()
    }
}

/// Writes fields in the format [`Reader`] reads (used to build seed corpora).
#[derive(Debug, Clone, Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    /// One byte (also a choice: write the index of the alternative).
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.out.push(value);
        self
    }

    /// A boolean.
    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.u8(u8::from(value))
    }

    /// A little-endian `u16`.
    pub fn u16(&mut self, value: u16) -> &mut Self {
        self.out.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.out.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.out.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A `u16`-length-prefixed byte string.
    ///
    /// # Panics
    /// If `value` is longer than `u16::MAX` bytes (seed builders only write short fields).
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        let len = u16::try_from(value.len()).expect("codec fields are at most 65535 bytes");
        self.u16(len);
        self.out.extend_from_slice(value);
        self
    }
}
