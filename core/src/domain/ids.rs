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
        IdKey::new(id.as_str())
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
