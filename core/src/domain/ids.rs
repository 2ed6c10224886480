//! Stable identifiers. Records made on different devices must never collide, so ids are
//! 128 random bits rendered as UUID v4 text. The generator is seeded from outside
//! (crypto randomness in the browser, a fixed seed in tests and the demo generator) so
//! the domain stays pure and deterministic under test.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A record's id: its text, kept inside the value when it is short enough (every id this
/// app makes is a 36-character UUID). Opening 100,000 deals reads about four million ids;
/// as `String`s each was an allocation (≈ 0.18 s of malloc in the browser's profile of the
/// open) and each copy the model made of one another (≈ 0.1 s). Longer ids (imported from
/// elsewhere) keep their text on the heap. Compares, orders and hashes as its text.
pub struct Id(Repr);

// Not inlined: a copy or comparison of an id happens in hundreds of places, and inlined its
// two cases were ≈ 17 KB of the first download (brotli).
impl Clone for Id {
    #[inline(never)]
    fn clone(&self) -> Id {
        Id(self.0.clone())
    }
}

#[derive(Clone)]
enum Repr {
    /// `len` bytes of UTF-8 text, the rest zero.
    Inline { len: u8, bytes: [u8; Id::INLINE] },
    Heap(Box<str>),
}

impl Id {
    /// 38: with the length and the variant, 40 bytes, less than a `String` (12 bytes in
    /// wasm) and the 36 bytes of a UUID it points to.
    pub const INLINE: usize = 38;

    pub fn new(text: &str) -> Id {
        let b = text.as_bytes();
        if b.len() > Id::INLINE {
            return Id(Repr::Heap(text.into()));
        }
        let mut bytes = [0u8; Id::INLINE];
        bytes[..b.len()].copy_from_slice(b);
        Id(Repr::Inline { len: b.len() as u8, bytes })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: `bytes[..len]` is a copy of a `&str` made in `Id::new`, and nothing
            // else writes to it: it is UTF-8.
            Repr::Inline { len, bytes } => unsafe { std::str::from_utf8_unchecked(&bytes[..*len as usize]) },
            Repr::Heap(s) => s,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }
}

/// A text's first 8 bytes as one number (big-endian, short texts padded with zeros): equal
/// for equal texts, and in the texts' order where they differ within those bytes. One
/// compare of numbers where comparing texts is a call and a byte loop in wasm.
pub fn head_u64(s: &str) -> u64 {
    let (b, mut x) = (s.as_bytes(), [0u8; 8]);
    let n = b.len().min(8);
    x[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(x)
}

impl Default for Id {
    fn default() -> Self {
        Id::new("")
    }
}

impl PartialEq for Id {
    #[inline(never)]
    fn eq(&self, other: &Id) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Id {}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Id) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Id {
    fn cmp(&self, other: &Id) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Id {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Id").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id::new(s)
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        match s.len() > Id::INLINE {
            true => Id(Repr::Heap(s.into_boxed_str())),
            false => Id::new(&s),
        }
    }
}

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            // Borrowed or not, the text is copied into the id: no allocation for a short one.
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::new(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id::from(v))
            }
        }
        d.deserialize_str(Text)
    }
}

/// An id as a hash-map key that keeps its text inside the map's own slot (ids are
/// 36-character UUIDs). Looking an id up then reads one place in memory instead of two:
/// with a `String` key, each probe also follows the key's pointer to its text, a second
/// cache miss per lookup (finding the deal and stage of 984,593 events natively: 155 ms
/// with `String` keys, 86 ms with these). The text is held as whole words, compared and hashed a word at a time (a byte
/// slice compares by `memcmp`, a byte loop in wasm). Probed with a key made the same way:
/// `map.get(&IdKey::of(id))`.
#[derive(Clone, Debug)]
pub enum IdKey {
    Inline { len: u8, words: [u64; IdKey::WORDS] },
    /// Ids longer than a UUID (imported from elsewhere) keep their text on the heap.
    Heap(Box<[u8]>),
}

// `IdKey::of` reads an inline id's bytes into an inline key whole.
const _: () = assert!(Id::INLINE <= IdKey::INLINE);

impl IdKey {
    pub const WORDS: usize = 5;
    pub const INLINE: usize = IdKey::WORDS * 8;

    pub fn new(id: &str) -> IdKey {
        let b = id.as_bytes();
        if b.len() > IdKey::INLINE {
            return IdKey::Heap(b.into());
        }
        let mut bytes = [0u8; IdKey::INLINE];
        bytes[..b.len()].copy_from_slice(b);
        let mut words = [0u64; IdKey::WORDS];
        for (w, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut c = [0u8; 8];
            c.copy_from_slice(chunk);
            *w = u64::from_le_bytes(c);
        }
        IdKey::Inline { len: b.len() as u8, words }
    }

    pub fn of(id: &Id) -> IdKey {
        match &id.0 {
            // Already zero past its length: read as whole words, no copy of a length only
            // known at run time (a `memcpy` call per key, ≈ 8 % of finding events' deals).
            Repr::Inline { len, bytes } => {
                let mut padded = [0u8; IdKey::INLINE];
                padded[..Id::INLINE].copy_from_slice(bytes);
                let mut words = [0u64; IdKey::WORDS];
                for (w, chunk) in words.iter_mut().zip(padded.chunks_exact(8)) {
                    let mut c = [0u8; 8];
                    c.copy_from_slice(chunk);
                    *w = u64::from_le_bytes(c);
                }
                IdKey::Inline { len: *len, words }
            }
            Repr::Heap(text) => IdKey::new(text),
        }
    }

    /// The id's text (the tests check it survives the words).
    #[cfg(test)]
    fn to_bytes(&self) -> Vec<u8> {
        match self {
            IdKey::Inline { len, words } => words.iter().flat_map(|w| w.to_le_bytes()).take(*len as usize).collect(),
            IdKey::Heap(b) => b.to_vec(),
        }
    }
}

// Ids up to `INLINE` bytes are always inline and longer ones always on the heap, so equal
// texts make equal keys and different texts different keys.
impl PartialEq for IdKey {
    fn eq(&self, other: &IdKey) -> bool {
        match (self, other) {
            // The words beyond the text are zero in both: compared whole, without a branch
            // per word.
            (IdKey::Inline { len: a, words: x }, IdKey::Inline { len: b, words: y }) => {
                a == b && x.iter().zip(y).fold(0, |acc, (p, q)| acc | (p ^ q)) == 0
            }
            (IdKey::Heap(x), IdKey::Heap(y)) => x == y,
            _ => false,
        }
    }
}

impl Eq for IdKey {}

impl std::hash::Hash for IdKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self {
            IdKey::Inline { len, words } => {
                h.write_u8(*len);
                // Only the words the text reaches (a UUID: 5).
                words.iter().take((*len as usize).div_ceil(8)).for_each(|w| h.write_u64(*w));
            }
            IdKey::Heap(b) => b.hash(h),
        }
    }
}

/// SplitMix64: tiny, fast, good enough statistical quality for ids and simulations.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in [0, n); n must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// xoroshiro128++ (Blackman & Vigna): no multiplications, so it is the cheapest
/// high-quality generator in wasm; used for the Monte Carlo's billions of coin flips.
#[derive(Clone, Debug)]
pub struct FastRng {
    s0: u64,
    s1: u64,
}

impl FastRng {
    pub fn new(seed: u64) -> Self {
        let mut sm = Rng::new(seed);
        FastRng { s0: sm.next_u64(), s1: sm.next_u64() | 1 }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let (s0, mut s1) = (self.s0, self.s1);
        let out = s0.wrapping_add(s1).rotate_left(17).wrapping_add(s0);
        s1 ^= s0;
        self.s0 = s0.rotate_left(49) ^ s1 ^ (s1 << 21);
        self.s1 = s1.rotate_left(28);
        out
    }
}

/// Produces UUID-v4-shaped ids from a seeded generator.
#[derive(Clone, Debug)]
pub struct IdGen {
    rng: Rng,
}

impl IdGen {
    pub fn new(seed: u64) -> Self {
        IdGen { rng: Rng::new(seed) }
    }

    pub fn next_id(&mut self) -> Id {
        let hi = self.rng.next_u64();
        let lo = self.rng.next_u64();
        // Set the version (4) and variant (10xx) bits like a real v4 UUID.
        let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        Id::from(format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        ))
    }
}

/// A hybrid logical clock: stamps that follow wall-clock milliseconds (× 1024, so up to
/// 1024 stamps per millisecond stay distinct) but never go backwards, even when the clock
/// does or when records from a device whose clock runs ahead have been seen. Stays below
/// 2^53 until the year 2248, so the stamps survive JavaScript numbers and JSON.
#[derive(Clone, Debug, Default)]
pub struct Hlc {
    last: u64,
}

impl Hlc {
    pub fn tick(&mut self, now_ms: i64) -> u64 {
        let wall = (now_ms.max(0) as u64).saturating_mul(1024);
        self.last = wall.max(self.last + 1);
        self.last
    }

    /// Takes a stamp from a stored or received record into account.
    pub fn observe(&mut self, seq: u64) {
        self.last = self.last.max(seq);
    }
}

/// FxHash (as in rustc): ids are random already, so a fast non-cryptographic hash is
/// safe for maps keyed by them.
#[derive(Default)]
pub struct Fx(u64);

impl Fx {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for Fx {
    // Whole words are read in place: copying each 8-byte chunk into a buffer of
    // unknown length compiled to a `memcpy` call per chunk.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.add(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Ids numbered 0, 1, 2, … in the order they were first added, for looking up ids by the
/// million (each event's deal when the analytics index is built or a workspace opened).
/// A hash map's lookup is a cache miss (100,000 deals' keys are megabytes), and one after
/// another they wait for memory in turn: 72 % of the lookup's time was the one load of the
/// slot. Here `each` looks up a batch of ids at a time, first computing every hash and
/// reading every slot (loads that do not wait on one another), then checking them; the
/// slots are small (a 32-bit tag of the hash and the number, 8 bytes), the keys kept
/// apart in number order.
#[derive(Clone, Debug)]
pub struct IdIndex {
    keys: Vec<IdKey>,
    /// Open addressing with linear probing, a power of two at least twice the keys:
    /// 0 is empty, else the hash's tag (high half) and the number + 1 (low half).
    slots: Vec<u64>,
    /// log2 of the slots: a hash's first slot is its top `bits` bits.
    bits: u32,
}

/// The same ids with the same numbers (the slots follow from them).
impl PartialEq for IdIndex {
    fn eq(&self, other: &IdIndex) -> bool {
        self.keys == other.keys
    }
}

impl Default for IdIndex {
    fn default() -> IdIndex {
        IdIndex::with_capacity(0)
    }
}

impl IdIndex {
    const BATCH: usize = 32;

    pub fn with_capacity(n: usize) -> IdIndex {
        let bits = (n.max(4) * 2).next_power_of_two().trailing_zeros();
        IdIndex { keys: Vec::with_capacity(n), slots: vec![0; 1 << bits], bits }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether the id numbered `n` is `id`.
    pub fn numbers(&self, n: usize, id: &Id) -> bool {
        self.keys.get(n).is_some_and(|k| *k == IdKey::of(id))
    }

    fn hash(key: &IdKey) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = Fx::default();
        key.hash(&mut h);
        h.finish()
    }

    fn home(&self, h: u64) -> usize {
        (h >> (64 - self.bits)) as usize
    }

    /// The tag is the hash's low half (the slot comes from its top bits).
    fn tag(h: u64) -> u64 {
        h << 32
    }

    /// The number of `key`, probing from the slot `at` already read as `slot`.
    fn probe(&self, key: &IdKey, h: u64, mut at: usize, mut slot: u64) -> Option<u32> {
        loop {
            let (found, n) = self.candidate(h, at, slot)?;
            if self.keys[n as usize] == *key {
                return Some(n);
            }
            // A tag shared by another id (one lookup in millions): probe on.
            at = (found + 1) & (self.slots.len() - 1);
            slot = self.slots[at];
        }
    }

    fn find(&self, key: &IdKey) -> Option<u32> {
        let h = IdIndex::hash(key);
        let at = self.home(h);
        self.probe(key, h, at, self.slots[at])
    }

    pub fn get(&self, id: &Id) -> Option<u32> {
        self.find(&IdKey::of(id))
    }

    pub fn contains(&self, id: &Id) -> bool {
        self.get(id).is_some()
    }

    /// The id's number: `(n, true)` when it was added now, `(n, false)` when it was there.
    pub fn insert(&mut self, id: &Id) -> (u32, bool) {
        let key = IdKey::of(id);
        if let Some(n) = self.find(&key) {
            return (n, false);
        }
        if (self.keys.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let n = self.keys.len() as u32;
        self.place(IdIndex::hash(&key), n);
        self.keys.push(key);
        (n, true)
    }

    fn place(&mut self, h: u64, n: u32) {
        let mask = self.slots.len() - 1;
        let mut at = self.home(h);
        while self.slots[at] != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = IdIndex::tag(h) | (n as u64 + 1);
    }

    fn grow(&mut self) {
        self.bits += 1;
        self.slots = vec![0; 1 << self.bits];
        for n in 0..self.keys.len() {
            let h = IdIndex::hash(&self.keys[n]);
            self.place(h, n as u32);
        }
    }

    /// The first slot from `at` (read as `slot`) whose tag is the hash's: its place and
    /// number, or `None` at an empty slot.
    fn candidate(&self, h: u64, mut at: usize, mut slot: u64) -> Option<(usize, u32)> {
        let mask = self.slots.len() - 1;
        loop {
            if slot == 0 {
                return None;
            }
            if slot & !0xffff_ffff == IdIndex::tag(h) {
                return Some((at, (slot as u32).wrapping_sub(1)));
            }
            at = (at + 1) & mask;
            slot = self.slots[at];
        }
    }

    /// Looks up every id `ids` yields, in order, handing each number (or `None`) to `f`.
    /// A batch at a time, in three passes whose loads do not wait on one another: hashes
    /// and first slots; the slot with the tag and a touch of its key; the keys compared.
    pub fn each<'a>(&self, ids: impl IntoIterator<Item = &'a Id>, mut f: impl FnMut(Option<u32>)) {
        const N: usize = IdIndex::BATCH;
        let mask = self.slots.len() - 1;
        let mut ids = ids.into_iter();
        let mut keys: Vec<IdKey> = Vec::with_capacity(N);
        let (mut hashes, mut slots, mut found) = ([0u64; N], [0u64; N], [None; N]);
        loop {
            keys.clear();
            keys.extend(ids.by_ref().take(N).map(IdKey::of));
            if keys.is_empty() {
                return;
            }
            for (i, key) in keys.iter().enumerate() {
                hashes[i] = IdIndex::hash(key);
                slots[i] = self.slots[self.home(hashes[i])];
            }
            let mut touched = 0u8;
            for i in 0..keys.len() {
                found[i] = self.candidate(hashes[i], self.home(hashes[i]), slots[i]);
                if let Some((_, n)) = found[i] {
                    touched ^= match &self.keys[n as usize] {
                        IdKey::Inline { len, .. } => *len,
                        IdKey::Heap(_) => 0,
                    };
                }
            }
            std::hint::black_box(touched);
            for (i, key) in keys.iter().enumerate() {
                f(match found[i] {
                    None => None,
                    Some((_, n)) if self.keys[n as usize] == *key => Some(n),
                    Some((at, _)) => self.probe(key, hashes[i], (at + 1) & mask, self.slots[(at + 1) & mask]),
                });
            }
        }
    }
}

pub type FxMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;
pub type FxSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<Fx>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_keys_find_ids_of_every_length_by_their_bytes() {
        // A UUID (36 bytes, kept inline), the empty id, one at the inline limit (40) and
        // one past it (41, kept on the heap): each is found by its own bytes and by no other.
        let ids = ["8c0e2f7a-5b1d-4c3e-9f60-0a1b2c3d4e5f".to_string(), String::new(), "x".repeat(40), "x".repeat(41)];
        let map: FxMap<IdKey, usize> = ids.iter().enumerate().map(|(i, id)| (IdKey::new(id), i)).collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(map.get(&IdKey::new(id)), Some(&i), "{id:?}");
            assert_eq!(IdKey::new(id).to_bytes(), id.as_bytes());
            // Made from an id (inline ≤ 38 bytes, read whole) it is the same key.
            assert_eq!(IdKey::of(&Id::new(id)), IdKey::new(id), "{id:?}");
            assert_eq!(IdKey::of(&Id(Repr::Heap(id.as_str().into()))), IdKey::new(id), "{id:?}");
        }
        assert!(matches!(IdKey::new(&ids[2]), IdKey::Inline { len: 40, .. }));
        assert!(matches!(IdKey::new(&ids[3]), IdKey::Heap(_)));
        // Differing only in the last byte, in length (a trailing NUL pads like the zero
        // words do), or past the inline limit.
        for other in ["x".repeat(39), "x".repeat(42), "8c0e2f7a-5b1d-4c3e-9f60-0a1b2c3d4e5e".into(), "x\0".into(), "\0".into()] {
            assert_eq!(map.get(&IdKey::new(&other)), None, "{other:?}");
        }
        assert_ne!(IdKey::new("x"), IdKey::new("x\0"));
    }

    #[test]
    fn an_id_index_numbers_ids_in_the_order_first_added_and_finds_them_one_or_many_at_a_time() {
        // 10,000 UUID-like ids, an empty one, one past the inline limit and a non-ASCII one,
        // added to an index made for none (it grows twelve times); every other id again.
        let mut gen = IdGen::new(5);
        let mut ids: Vec<Id> = (0..10_000).map(|_| gen.next_id()).collect();
        ids.extend([Id::new(""), Id::new(&"x".repeat(41)), Id::new("商机")]);
        let mut index = IdIndex::with_capacity(0);
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(index.insert(id), (n as u32, true));
        }
        for (n, id) in ids.iter().enumerate().step_by(2) {
            assert_eq!(index.insert(id), (n as u32, false), "added twice keeps its number");
        }
        assert_eq!(index.len(), 10_003);
        // Asked one at a time and in batches (the 103 asks below are three whole batches
        // and a part): the ids, those never added, a heap id sharing the inline one's text.
        let absent = [Id::new("x"), Id::new(&"x".repeat(42)), gen.next_id(), Id(Repr::Heap("商机".into()))];
        let asks: Vec<&Id> = ids.iter().rev().take(99).chain(&absent).collect();
        let one: Vec<Option<u32>> = asks.iter().map(|id| index.get(id)).collect();
        let mut many = Vec::new();
        index.each(asks.iter().copied(), |n| many.push(n));
        assert_eq!(many, one);
        let expected: Vec<Option<u32>> = (0..99).map(|k| Some(10_002 - k)).chain([None, None, None, Some(10_002)]).collect();
        assert_eq!(one, expected);
        let mut none = Vec::new();
        IdIndex::default().each(&ids[..40], |n| none.push(n));
        assert_eq!(none, vec![None; 40]);
    }

    #[test]
    fn an_id_index_looks_past_a_slot_whose_tag_is_shared_by_another_id() {
        // Tags are 32 bits of the hash: two ids can share one. Forged here: the slot where
        // `b` is first looked for claims `a`'s number with `b`'s tag, and `c` (never added)
        // meets a forged slot the same way. Both must be compared by their text.
        let (a, b, c) = (Id::new("a"), Id::new("b"), Id::new("c"));
        let mut index = IdIndex::with_capacity(8);
        index.keys = vec![IdKey::of(&a), IdKey::of(&b)];
        let (hb, hc) = (IdIndex::hash(&IdKey::of(&b)), IdIndex::hash(&IdKey::of(&c)));
        let (home_b, home_c) = (index.home(hb), index.home(hc));
        index.slots[home_b] = IdIndex::tag(hb) | 1;
        if home_c != home_b {
            index.slots[home_c] = IdIndex::tag(hc) | 1;
        }
        index.place(hb, 1);
        index.place(IdIndex::hash(&IdKey::of(&a)), 0);
        assert_eq!((index.get(&a), index.get(&b), index.get(&c)), (Some(0), Some(1), None));
        let mut many = Vec::new();
        index.each([&b, &c, &a], |n| many.push(n));
        assert_eq!(many, [Some(1), None, Some(0)]);
    }

    #[test]
    fn ids_of_every_length_keep_their_text_and_compare_as_it() {
        // The empty id, a UUID (36 bytes), one at the inline limit (38), one past it (39,
        // on the heap), and non-ASCII text (3 bytes a character: 13 characters fit, 39
        // bytes do not).
        let texts = [String::new(), "8c0e2f7a-5b1d-4c3e-9f60-0a1b2c3d4e5f".into(), "x".repeat(38), "x".repeat(39), "商".repeat(12), "商".repeat(13)];
        for t in &texts {
            for id in [Id::new(t), Id::from(t.clone()), Id::from(t.as_str())] {
                assert_eq!(id.as_str(), t);
                assert_eq!(id.to_string(), *t);
                assert_eq!(format!("{id:?}"), format!("Id({t:?})"));
            }
        }
        assert!(matches!(Id::new(&texts[2]).0, Repr::Inline { len: 38, .. }));
        assert!(matches!(Id::new(&texts[3]).0, Repr::Heap(_)));
        assert!(matches!(Id::from(texts[3].clone()).0, Repr::Heap(_)));
        assert!(matches!(Id::new(&texts[5]).0, Repr::Heap(_)));
        assert_eq!(Id::default(), Id::new(""));
        // Order, equality and hash are the text's, wherever it is kept (an inline id equals
        // and hashes like the same text on the heap, the case `Id::new` never makes).
        let long = Id(Repr::Heap("ab".into()));
        assert_eq!(long, Id::new("ab"));
        let state = std::collections::hash_map::RandomState::new();
        let hash = |id: &Id| std::hash::BuildHasher::hash_one(&state, id);
        assert_eq!(hash(&long), hash(&Id::new("ab")));
        let mut sorted: Vec<Id> = texts.iter().map(|t| Id::new(t)).chain([Id::new("x\0"), Id::new("a"), Id::new("y")]).collect();
        sorted.sort();
        let mut by_text: Vec<String> = sorted.iter().map(Id::to_string).collect();
        by_text.sort();
        assert_eq!(sorted.iter().map(Id::to_string).collect::<Vec<_>>(), by_text);
        assert_ne!(Id::new("x"), Id::new("x\0"));
        // Read and written as a plain string, borrowed or not (an escape makes serde_json
        // hand over its own copy).
        for t in &texts {
            let json = serde_json::to_string(&Id::new(t)).unwrap();
            assert_eq!(json, serde_json::to_string(t).unwrap());
            assert_eq!(serde_json::from_str::<Id>(&json).unwrap(), Id::new(t));
            let reader = serde_json::from_reader::<_, Id>(json.as_bytes()).unwrap();
            assert_eq!(reader, Id::new(t));
        }
        assert_eq!(serde_json::from_str::<Id>(r#""a\"b""#).unwrap().as_str(), "a\"b");
        assert!(serde_json::from_str::<Id>("7").is_err());
    }

    #[test]
    fn clock_stamps_increase_even_when_the_wall_clock_goes_back() {
        let mut c = Hlc::default();
        let a = c.tick(1_000);
        assert_eq!(a, 1_024_000); // 1000 ms × 1024
        let b = c.tick(1_000); // same millisecond: the counter moves on
        assert_eq!(b, 1_024_001);
        let d = c.tick(500); // clock stepped back
        assert_eq!(d, 1_024_002);
        c.observe(5_000_000); // a record from a device that runs ahead
        assert_eq!(c.tick(1_001), 5_000_001);
        assert_eq!(c.tick(10_000), 10_240_000);
    }

    #[test]
    fn ids_look_like_uuid_v4_and_do_not_repeat() {
        let mut g = IdGen::new(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = g.next_id();
            let s = id.as_str();
            assert_eq!(s.len(), 36);
            assert_eq!(&s[14..15], "4");
            assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"), "{s}");
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn same_seed_same_ids_different_seed_different_ids() {
        let a: Vec<Id> = (0..3).map({ let mut g = IdGen::new(1); move |_| g.next_id() }).collect();
        let b: Vec<Id> = (0..3).map({ let mut g = IdGen::new(1); move |_| g.next_id() }).collect();
        let c: Vec<Id> = (0..3).map({ let mut g = IdGen::new(2); move |_| g.next_id() }).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn fast_generator_bits_are_balanced() {
        let mut r = FastRng::new(9);
        let mut ones = [0u32; 64];
        for _ in 0..20_000 {
            let x = r.next_u64();
            for (b, c) in ones.iter_mut().enumerate() {
                *c += (x >> b & 1) as u32;
            }
        }
        // Each bit is 1 about half the time (±5 standard deviations of 70.7).
        assert!(ones.iter().all(|&c| (9_646..=10_354).contains(&c)), "{ones:?}");
    }

    #[test]
    fn uniform_floats_stay_in_unit_interval() {
        let mut r = Rng::new(3);
        let mean: f64 = (0..100_000).map(|_| r.next_f64()).inspect(|x| assert!((0.0..1.0).contains(x))).sum::<f64>() / 100_000.0;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
    }
}
