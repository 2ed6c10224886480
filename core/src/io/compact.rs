//! The compact encoding segments are stored in: the records' serde data model written as
//! tagged binary values, with each string written once per segment and referred to by
//! number after that, UUIDs as their 16 bytes and times as seconds.
//!
//! Why not JSON: opening 100,000 deals read 315 MB of JSON segments, and a CPU profile of
//! the open (2.9 s) had 1.5 s in reading them: the database handing them over (0.4 s of
//! JS), the copy into wasm (0.2 s) and decoding (1.0 s), every field name, id and time
//! parsed as text. Here a record's field names and its pipeline's stage ids are a byte
//! or two each, ids are not parsed hex by hex, and no time is parsed at all: 84 MB.
//!
//! Self-describing like JSON (maps with their keys, not positions), so records keep every
//! field a newer build wrote (`extra`), fields may be absent (`skip_serializing_if`), and
//! a record that cannot be read is skipped on its own: its extent is known without its type.
//!
//! The layout: `MAGIC`, then the records one after another. A value is a tag byte and:
//!
//! | tag | value |
//! |---|---|
//! | `NULL`, `FALSE`, `TRUE` | nothing |
//! | `UINT` | a LEB128 varint |
//! | `NINT` | a varint n, the number −1 − n |
//! | `F64` | 8 bytes, little-endian |
//! | `STR` | a varint length and the UTF-8 bytes; the segment's next string number |
//! | `STR_REF` | a varint: a string number given earlier in the segment |
//! | `LONG_STR` | as `STR`, given no number (texts over `INTERN_MAX` bytes) |
//! | `UUID` | 16 bytes: a UUID's text in lowercase; the segment's next UUID number |
//! | `UUID_REF` | a varint: a UUID number given earlier |
//! | `TIME` | a varint, zigzag: seconds since 1970-01-01T00:00:00Z |
//! | `TIME_NS` | a varint, zigzag: nanoseconds since then (a time with a fraction of a second) |
//! | `SEQ`, `MAP` | values (key, value, key, value… for a map) up to `END` |
//!
//! Enums are written as JSON writes them: a unit variant as its name, the others as a map
//! of their name to their content.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use chrono::{DateTime, Utc};
use std::fmt;

use crate::domain::ids::FxMap;
use crate::domain::time::{TIME_NAME, TIME_NS_NAME};

/// The first bytes of every segment in this encoding (a JSON segment starts with `[`).
pub const MAGIC: &[u8; 4] = b"FSB1";

/// Strings up to this many bytes get a number (names, ids, owners, outcomes repeat);
/// longer ones are notes, rarely repeated, not worth remembering.
const INTERN_MAX: usize = 64;

/// Nesting deeper than this is refused: a damaged store must not exhaust the stack.
const MAX_DEPTH: u32 = 128;

mod tag {
    pub const NULL: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    pub const UINT: u8 = 3;
    pub const NINT: u8 = 4;
    pub const F64: u8 = 5;
    pub const STR: u8 = 6;
    pub const STR_REF: u8 = 7;
    pub const LONG_STR: u8 = 8;
    pub const UUID: u8 = 9;
    pub const UUID_REF: u8 = 10;
    pub const TIME: u8 = 11;
    pub const SEQ: u8 = 12;
    pub const MAP: u8 = 13;
    pub const END: u8 = 14;
    pub const TIME_NS: u8 = 15;
}

/// What went wrong reading or writing (the words serde's own errors use, plus ours).
#[derive(Debug, Clone, PartialEq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// A UUID's 16 bytes, when `s` is one in lowercase (8-4-4-4-12 hex digits): exactly the
/// texts that `uuid_text` writes back the same.
fn uuid_bytes(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut at = 0;
    for (n, slot) in out.iter_mut().enumerate() {
        // A hyphen before bytes 4, 6, 8 and 10 (after 8, 4, 4 and 4 digits).
        if matches!(n, 4 | 6 | 8 | 10) {
            if b.get(at) != Some(&b'-') {
                return None;
            }
            at += 1;
        }
        *slot = hex(*b.get(at)?)? << 4 | hex(*b.get(at + 1)?)?;
        at += 2;
    }
    Some(out)
}

/// Each byte's two hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        pairs[b] = [DIGITS[b >> 4], DIGITS[b & 15]];
        b += 1;
    }
    pairs
};

fn uuid_text(bytes: &[u8; 16], out: &mut [u8; 36]) {
    // Where each byte's digits go: 8-4-4-4-12 digits, a hyphen between groups.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    *out = [b'-'; 36];
    for (b, at) in bytes.iter().zip(AT) {
        out[at..at + 2].copy_from_slice(&HEX_PAIRS[usize::from(*b)]);
    }
}

/// Writes records in this encoding, one segment's worth: strings and UUIDs are numbered
/// across the records written to one encoder.
pub struct Encoder {
    out: Vec<u8>,
    strings: FxMap<String, u32>,
    uuids: FxMap<[u8; 16], u32>,
    /// The next i64 is a time (`domain::time` hands its seconds, or nanoseconds, over in a
    /// newtype): the tag to write it with, or 0.
    time: u8,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    pub fn new() -> Self {
        Encoder { out: MAGIC.to_vec(), strings: FxMap::default(), uuids: FxMap::default(), time: 0 }
    }

    /// Appends one record; one that cannot be written (no record type here has such a
    /// field, e.g. an i128) leaves nothing behind, not its bytes nor its strings' numbers.
    pub fn push<T: Serialize + ?Sized>(&mut self, record: &T) -> Result<(), Error> {
        let (len, strings, uuids) = (self.out.len(), self.strings.len() as u32, self.uuids.len() as u32);
        let written = record.serialize(&mut *self);
        if written.is_err() {
            self.out.truncate(len);
            self.strings.retain(|_, n| *n < strings);
            self.uuids.retain(|_, n| *n < uuids);
        }
        written
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.out.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.out.push(n as u8);
    }

    fn tagged(&mut self, tag: u8, n: u64) {
        self.out.push(tag);
        self.varint(n);
    }

    fn string(&mut self, s: &str) {
        if let Some(b) = uuid_bytes(s) {
            match self.uuids.get(&b) {
                Some(&n) => self.tagged(tag::UUID_REF, u64::from(n)),
                None => {
                    let n = self.uuids.len() as u32;
                    self.uuids.insert(b, n);
                    self.out.push(tag::UUID);
                    self.out.extend_from_slice(&b);
                }
            }
            return;
        }
        if s.len() > INTERN_MAX {
            self.tagged(tag::LONG_STR, s.len() as u64);
            self.out.extend_from_slice(s.as_bytes());
            return;
        }
        match self.strings.get(s) {
            Some(&n) => self.tagged(tag::STR_REF, u64::from(n)),
            None => {
                let n = self.strings.len() as u32;
                self.strings.insert(s.to_string(), n);
                self.tagged(tag::STR, s.len() as u64);
                self.out.extend_from_slice(s.as_bytes());
            }
        }
    }

    fn int(&mut self, n: i64) {
        match u64::try_from(n) {
            Ok(u) => self.tagged(tag::UINT, u),
            // −1 − n fits: n is negative.
            Err(_) => self.tagged(tag::NINT, (-1 - n) as u64),
        }
    }
}

/// A sequence or map being written: its values, then `END`.
pub struct Compound<'a> {
    enc: &'a mut Encoder,
    /// Ends to write: 2 for a variant with content (its content's, then the map's).
    ends: usize,
}

impl Compound<'_> {
    fn close(self) -> Result<(), Error> {
        for _ in 0..self.ends {
            self.enc.out.push(tag::END);
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Encoder {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push(if v { tag::TRUE } else { tag::FALSE });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        match std::mem::take(&mut self.time) {
            0 => self.int(v),
            t => self.tagged(t, ((v << 1) ^ (v >> 63)) as u64),
        }
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.tagged(tag::UINT, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.out.push(tag::F64);
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        // As JSON writes bytes: a sequence of numbers.
        self.out.push(tag::SEQ);
        v.iter().for_each(|b| self.tagged(tag::UINT, u64::from(*b)));
        self.out.push(tag::END);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.push(tag::NULL);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, v: &T) -> Result<(), Error> {
        let time = match name {
            TIME_NAME => tag::TIME,
            TIME_NS_NAME => tag::TIME_NS,
            _ => 0,
        };
        if time != 0 {
            // `domain::time` hands over whole seconds, or nanoseconds, as an i64:
            // `serialize_i64` writes them as a time (anything else inside is written as
            // itself).
            self.time = time;
            let written = v.serialize(&mut *self);
            self.time = 0;
            return written;
        }
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, variant: &'static str, v: &T) -> Result<(), Error> {
        self.out.push(tag::MAP);
        self.string(variant);
        v.serialize(&mut *self)?;
        self.out.push(tag::END);
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        self.out.push(tag::SEQ);
        Ok(Compound { enc: self, ends: 1 })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        self.out.push(tag::MAP);
        self.string(variant);
        self.out.push(tag::SEQ);
        Ok(Compound { enc: self, ends: 2 })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        self.out.push(tag::MAP);
        Ok(Compound { enc: self, ends: 1 })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        self.out.push(tag::MAP);
        self.string(variant);
        self.out.push(tag::MAP);
        Ok(Compound { enc: self, ends: 2 })
    }
}

/// serde's six kinds of compound value are all values up to `END` here: one body each.
macro_rules! compound {
    ($kind:ident, $method:ident) => {
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                v.serialize(&mut *self.enc)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    };
    // Struct fields: the field's name is a string key.
    ($kind:ident) => {
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), Error> {
                self.enc.string(key);
                v.serialize(&mut *self.enc)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    };
}

compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);
compound!(SerializeStruct);
compound!(SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        k.serialize(&mut *self.enc)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.enc)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// Reads records written by `Encoder`, one at a time.
#[derive(Clone)]
pub struct Decoder<'de> {
    input: &'de [u8],
    at: usize,
    strings: Vec<&'de str>,
    /// The UUIDs numbered so far, as their bytes (written out as text each time read: no
    /// table of texts to grow, segment after segment).
    uuids: Vec<[u8; 16]>,
    /// The UUIDs numbered so far as ids, written out the first time one is read as an id
    /// (`id_value`) and copied after that (a segment refers to the same deal and stage
    /// ids many times): by number, None until then; shorter than `uuids` until then too.
    uuid_ids: Vec<Option<crate::domain::Id>>,
    depth: u32,
}

/// A string value as `io::direct` reads it: borrowed from the segment, or a packed UUID
/// (written out as text only where it is used).
pub(crate) enum Text<'de> {
    Segment(&'de str),
    Uuid([u8; 16]),
}

impl Text<'_> {
    /// The value as an id: a UUID's text goes straight into it.
    pub(crate) fn id(&self) -> crate::domain::Id {
        match self {
            Text::Segment(s) => crate::domain::Id::new(s),
            Text::Uuid(b) => {
                let mut text = [0u8; 36];
                uuid_text(b, &mut text);
                // Hex digits and hyphens: always UTF-8.
                crate::domain::Id::new(std::str::from_utf8(&text).unwrap_or_default())
            }
        }
    }

    pub(crate) fn as_str(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Text::Segment(s) => std::borrow::Cow::Borrowed(s),
            Text::Uuid(b) => {
                let mut text = [0u8; 36];
                uuid_text(b, &mut text);
                std::borrow::Cow::Owned(std::str::from_utf8(&text).unwrap_or_default().to_owned())
            }
        }
    }
}

/// Where a decoder is, to go back to: the position and how many strings and UUIDs were
/// numbered (a record read again numbers its own again).
#[derive(Clone, Copy)]
pub struct Mark {
    at: usize,
    strings: usize,
    uuids: usize,
}

impl<'de> Decoder<'de> {
    /// A decoder over a segment; None when it does not start with `MAGIC`.
    pub fn new(input: &'de [u8]) -> Option<Self> {
        input.starts_with(MAGIC).then(|| Decoder { input, at: MAGIC.len(), strings: Vec::new(), uuids: Vec::new(), uuid_ids: Vec::new(), depth: 0 })
    }

    /// The byte the next value starts at.
    #[cfg(test)]
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    /// Whether every record was read.
    pub fn done(&self) -> bool {
        self.at >= self.input.len()
    }

    /// Reads the next record.
    pub fn record<T: de::Deserialize<'de>>(&mut self) -> Result<T, Error> {
        self.depth = 0;
        T::deserialize(&mut *self)
    }

    pub fn mark(&self) -> Mark {
        Mark { at: self.at, strings: self.strings.len(), uuids: self.uuids.len() }
    }

    pub fn rewind(&mut self, m: Mark) {
        self.at = m.at;
        self.strings.truncate(m.strings);
        self.uuids.truncate(m.uuids);
        self.uuid_ids.truncate(m.uuids);
        self.depth = 0;
    }

    /// A refusal, made out of line: the decoder's small readers are inlined into every
    /// record's reader, compiled for speed, and each message's formatting with them.
    #[cold]
    #[inline(never)]
    fn fail(args: fmt::Arguments) -> Error {
        Error(args.to_string())
    }

    fn eof() -> Error {
        Error("the segment ends inside a record".into())
    }

    fn byte(&mut self) -> Result<u8, Error> {
        let b = *self.input.get(self.at).ok_or_else(Self::eof)?;
        self.at += 1;
        Ok(b)
    }

    fn peek(&self) -> Result<u8, Error> {
        self.input.get(self.at).copied().ok_or_else(Self::eof)
    }

    fn take(&mut self, n: usize) -> Result<&'de [u8], Error> {
        let input = self.input;
        let end = self.at.checked_add(n).ok_or_else(Self::eof)?;
        let bytes = input.get(self.at..end).ok_or_else(Self::eof)?;
        self.at = end;
        Ok(bytes)
    }

    fn varint(&mut self) -> Result<u64, Error> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(Error("a number longer than 64 bits".into()))
    }

    fn index(&mut self) -> Result<usize, Error> {
        usize::try_from(self.varint()?).map_err(|_| Error("a string number out of range".into()))
    }

    fn text(&mut self) -> Result<&'de str, Error> {
        let n = self.index()?;
        std::str::from_utf8(self.take(n)?).map_err(|e| Error(e.to_string()))
    }


    fn nested<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(Error("values nested too deeply".into()));
        }
        self.depth += 1;
        let r = read(self);
        self.depth -= 1;
        r
    }

    // What `io::direct` reads records with: one value of one shape at a time, no visitor.
    // Each refuses another shape with serde's words ("invalid type: …, expected …").

    /// A value of another shape than `expected`, its tag at `at`: read again as it is, to
    /// name it as serde does ("invalid type: string \"lots\", expected i64").
    fn refuse(&mut self, at: usize, expected: &str) -> Error {
        use de::Unexpected as U;
        self.at = at;
        let v = match self.value() {
            Ok(v) => v,
            Err(e) => return e,
        };
        let what = match &v {
            serde_json::Value::Null => U::Unit,
            serde_json::Value::Bool(b) => U::Bool(*b),
            serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(n), _, _) => U::Unsigned(n),
                (_, Some(n), _) => U::Signed(n),
                (_, _, f) => U::Float(f.unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => U::Str(s),
            serde_json::Value::Array(_) => U::Seq,
            serde_json::Value::Object(_) => U::Map,
        };
        de::Error::invalid_type(what, &expected)
    }

    /// The start of a map (a record): its entries follow, up to `END` (`key` says when).
    pub(crate) fn map_start(&mut self) -> Result<(), Error> {
        let at = self.at;
        match self.byte()? {
            tag::MAP => Ok(()),
            _ => Err(self.refuse(at, "a map")),
        }
    }

    /// The next key of the map begun, or None at its `END`.
    pub(crate) fn key(&mut self) -> Result<Option<std::borrow::Cow<'de, str>>, Error> {
        if self.peek()? == tag::END {
            self.at += 1;
            return Ok(None);
        }
        Ok(Some(match self.text_value()? {
            Text::Segment(s) => std::borrow::Cow::Borrowed(s),
            // A name a newer build gave a field can look like a UUID, and be packed as one.
            uuid => std::borrow::Cow::Owned(uuid.as_str().into_owned()),
        }))
    }

    /// A string (or a UUID's text).
    pub(crate) fn text_value(&mut self) -> Result<Text<'de>, Error> {
        let at = self.at;
        match self.byte()? {
            tag::STR => {
                let s = self.text()?;
                self.strings.push(s);
                Ok(Text::Segment(s))
            }
            tag::LONG_STR => Ok(Text::Segment(self.text()?)),
            tag::STR_REF => {
                let n = self.index()?;
                self.strings.get(n).map(|s| Text::Segment(s)).ok_or_else(|| Self::fail(format_args!("string {n} was not given")))
            }
            tag::UUID => {
                let mut b = [0u8; 16];
                b.copy_from_slice(self.take(16)?);
                self.uuids.push(b);
                Ok(Text::Uuid(b))
            }
            tag::UUID_REF => {
                let n = self.index()?;
                self.uuids.get(n).map(|b| Text::Uuid(*b)).ok_or_else(|| Self::fail(format_args!("UUID {n} was not given")))
            }
            _ => Err(self.refuse(at, "a string")),
        }
    }

    /// A string value as an id (a UUID, or any other text). Most of a record's strings
    /// are ids, mostly given by number (a segment's events name the same deals and stages
    /// again and again): a UUID's text is written out the first time it is read as an id
    /// and copied after that, not written out again each time.
    pub(crate) fn id_value(&mut self) -> Result<crate::domain::Id, Error> {
        let n = match self.peek()? {
            tag::UUID => {
                self.text_value()?;
                self.uuids.len() - 1
            }
            tag::UUID_REF => {
                self.at += 1;
                self.index()?
            }
            _ => return Ok(self.text_value()?.id()),
        };
        if let Some(Some(id)) = self.uuid_ids.get(n) {
            return Ok(id.clone());
        }
        let bytes = *self.uuids.get(n).ok_or_else(|| Self::fail(format_args!("UUID {n} was not given")))?;
        let id = Text::Uuid(bytes).id();
        if self.uuid_ids.len() <= n {
            self.uuid_ids.resize(n + 1, None);
        }
        self.uuid_ids[n] = Some(id.clone());
        Ok(id)
    }

    /// Whether the next value is a map (nothing read).
    pub(crate) fn peek_map(&self) -> Result<bool, Error> {
        Ok(self.peek()? == tag::MAP)
    }

    /// Whether the next value is null (read if so).
    pub(crate) fn null(&mut self) -> Result<bool, Error> {
        let null = self.peek()? == tag::NULL;
        self.at += usize::from(null);
        Ok(null)
    }

    pub(crate) fn boolean(&mut self) -> Result<bool, Error> {
        let at = self.at;
        match self.byte()? {
            tag::FALSE => Ok(false),
            tag::TRUE => Ok(true),
            _ => Err(self.refuse(at, "a boolean")),
        }
    }

    /// An integer: (negative, magnitude as written: n, or −1 − n when negative).
    fn integer(&mut self, expected: &str) -> Result<(bool, u64), Error> {
        let at = self.at;
        match self.byte()? {
            tag::UINT => Ok((false, self.varint()?)),
            tag::NINT => Ok((true, self.varint()?)),
            _ => Err(self.refuse(at, expected)),
        }
    }

    /// An unsigned integer; `what`: its type as serde names it ("u64"), for a refusal.
    pub(crate) fn unsigned(&mut self, what: &str) -> Result<u64, Error> {
        match self.integer(what)? {
            (false, n) => Ok(n),
            (true, n) => Err(Self::fail(format_args!("invalid value: integer `{}`, expected {what}", -1 - i128::from(n)))),
        }
    }

    /// A signed integer; `what` as for `unsigned`.
    pub(crate) fn signed(&mut self, what: &str) -> Result<i64, Error> {
        let (negative, n) = self.integer(what)?;
        let n = i64::try_from(n).map_err(|_| Self::fail(format_args!("invalid value: integer `{n}`, expected {what}")))?;
        Ok(if negative { -1 - n } else { n })
    }

    /// A time as `domain::time::utc` reads one here: seconds (tagged as a time or not), or
    /// text (a time with a fraction of a second).
    pub(crate) fn time(&mut self) -> Result<DateTime<Utc>, Error> {
        let secs = match self.peek()? {
            tag::TIME => {
                self.at += 1;
                self.zigzag()?
            }
            tag::TIME_NS => {
                self.at += 1;
                return Ok(DateTime::from_timestamp_nanos(self.zigzag()?));
            }
            tag::UINT | tag::NINT => self.signed("i64")?,
            tag::STR | tag::STR_REF | tag::LONG_STR | tag::UUID | tag::UUID_REF => {
                return crate::domain::time::parse(&self.text_value()?.as_str()).map_err(|e| Error(e.to_string()))
            }
            _ => return Err(self.refuse(self.at, "seconds since 1970 or an RFC 3339 formatted date and time string")),
        };
        DateTime::from_timestamp(secs, 0).ok_or_else(|| Self::fail(format_args!("{secs} s since 1970 is out of range")))
    }

    /// The start of a sequence: its values follow; `seq_end` says when they are over.
    pub(crate) fn seq_start(&mut self) -> Result<(), Error> {
        let at = self.at;
        match self.byte()? {
            tag::SEQ => Ok(()),
            _ => Err(self.refuse(at, "a sequence")),
        }
    }

    /// Whether the sequence or map begun is over (its `END` read if so).
    pub(crate) fn seq_end(&mut self) -> Result<bool, Error> {
        let end = self.peek()? == tag::END;
        self.at += usize::from(end);
        Ok(end)
    }

    // `skip` and `value` read by hand what serde's `IgnoredAny` and serde_json's `Value`
    // read through `deserialize_any` (the same values, the same errors, the next value
    // starting at the same byte: a property test holds them together), so that neither
    // visitor, nor `deserialize_any` itself, is in the first download (≈ 12 KB of its wasm).

    /// Any one value, passed over (a field a record does not keep).
    pub(crate) fn skip(&mut self) -> Result<(), Error> {
        match self.byte()? {
            tag::NULL | tag::FALSE | tag::TRUE => {}
            tag::UINT | tag::TIME | tag::TIME_NS => {
                self.varint()?;
            }
            tag::NINT => {
                self.negative()?;
            }
            tag::F64 => {
                self.take(8)?;
            }
            tag::SEQ => self.nested(|de| {
                while !de.seq_end()? {
                    de.skip()?;
                }
                Ok(())
            })?,
            tag::MAP => self.nested(|de| {
                while !de.seq_end()? {
                    de.skip()?;
                    de.skip()?;
                }
                Ok(())
            })?,
            t => {
                self.at -= 1;
                self.string(t)?;
            }
        }
        Ok(())
    }

    /// Any one value, kept as it is (a field a newer build wrote: `extra`).
    pub(crate) fn value(&mut self) -> Result<serde_json::Value, Error> {
        use serde_json::Value;
        Ok(match self.byte()? {
            tag::NULL => Value::Null,
            tag::FALSE => Value::Bool(false),
            tag::TRUE => Value::Bool(true),
            tag::UINT => Value::from(self.varint()?),
            tag::NINT => Value::from(self.negative()?),
            tag::F64 => serde_json::Number::from_f64(self.float()?).map_or(Value::Null, Value::Number),
            tag::TIME => Value::from(self.zigzag()?),
            tag::TIME_NS => Value::String(self.nanos_text()?),
            tag::SEQ => self.nested(|de| {
                let mut items = Vec::new();
                while !de.seq_end()? {
                    items.push(de.value()?);
                }
                Ok(Value::Array(items))
            })?,
            // As serde_json's visitor: later keys replace earlier ones; a key that is not a
            // string is refused, the first "expected a string key", the others "a string".
            tag::MAP => self.nested(|de| {
                let mut map = serde_json::Map::new();
                while !de.seq_end()? {
                    let expected = if map.is_empty() { "a string key" } else { "a string" };
                    let key = de.key_text(expected)?;
                    let v = de.value()?;
                    map.insert(key, v);
                }
                Ok(Value::Object(map))
            })?,
            t => {
                self.at -= 1;
                Value::String(self.string(t)?)
            }
        })
    }

    /// A string value (its tag `t` not yet read) as owned text, or the error
    /// `deserialize_any` gives for any other tag.
    fn string(&mut self, t: u8) -> Result<String, Error> {
        match t {
            tag::STR | tag::LONG_STR | tag::STR_REF | tag::UUID | tag::UUID_REF => Ok(self.text_value()?.as_str().into_owned()),
            t => Err(Self::fail(format_args!("unknown tag {t}"))),
        }
    }

    /// A map's key for `value`: a string, or refused naming what was found as serde does
    /// (only the value's tag and scalar read, as its visitor would).
    fn key_text(&mut self, expected: &str) -> Result<String, Error> {
        use de::Unexpected as U;
        let t = self.byte()?;
        let found = match t {
            tag::NULL => U::Unit,
            tag::FALSE => U::Bool(false),
            tag::TRUE => U::Bool(true),
            tag::UINT => U::Unsigned(self.varint()?),
            tag::NINT => U::Signed(self.negative()?),
            tag::F64 => U::Float(self.float()?),
            tag::TIME => U::Signed(self.zigzag()?),
            tag::TIME_NS => return self.nanos_text(),
            tag::SEQ => U::Seq,
            tag::MAP => U::Map,
            t => {
                self.at -= 1;
                return self.string(t);
            }
        };
        Err(de::Error::invalid_type(found, &expected))
    }

    /// A negative integer's varint (after `NINT`): −1 − n.
    fn negative(&mut self) -> Result<i64, Error> {
        let n = i64::try_from(self.varint()?).map_err(|_| Error("a number below the 64-bit range".into()))?;
        Ok(-1 - n)
    }

    /// A time's varint (after `TIME` or `TIME_NS`), zigzag: seconds, or nanoseconds, since
    /// 1970.
    fn zigzag(&mut self) -> Result<i64, Error> {
        let z = self.varint()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    /// A time with a fraction of a second (after `TIME_NS`) as the text chrono writes for
    /// it: what anything that reads values through serde is handed (a visitor has no
    /// nanoseconds to take), so it reads as it did when such a time was stored as text.
    fn nanos_text(&mut self) -> Result<String, Error> {
        Ok(crate::domain::time::text(&DateTime::from_timestamp_nanos(self.zigzag()?)))
    }

    /// A float's 8 bytes (after `F64`).
    fn float(&mut self) -> Result<f64, Error> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(b))
    }

    /// After a sequence's or map's visitor is done: its `END` (unless the visitor read it).
    fn end(&mut self, ended: bool) -> Result<(), Error> {
        if ended || self.byte()? == tag::END {
            Ok(())
        } else {
            Err(Error("more values than expected".into()))
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Decoder<'de> {
    type Error = Error;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.byte()? {
            tag::NULL => visitor.visit_unit(),
            tag::FALSE => visitor.visit_bool(false),
            tag::TRUE => visitor.visit_bool(true),
            tag::UINT => visitor.visit_u64(self.varint()?),
            tag::NINT => visitor.visit_i64(self.negative()?),
            tag::F64 => visitor.visit_f64(self.float()?),
            tag::STR => {
                let s = self.text()?;
                self.strings.push(s);
                visitor.visit_borrowed_str(s)
            }
            tag::LONG_STR => visitor.visit_borrowed_str(self.text()?),
            tag::STR_REF => {
                let n = self.index()?;
                let s = *self.strings.get(n).ok_or_else(|| Error(format!("string {n} was not given")))?;
                visitor.visit_borrowed_str(s)
            }
            t @ (tag::UUID | tag::UUID_REF) => {
                let bytes = if t == tag::UUID {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(self.take(16)?);
                    self.uuids.push(b);
                    b
                } else {
                    let n = self.index()?;
                    *self.uuids.get(n).ok_or_else(|| Error(format!("UUID {n} was not given")))?
                };
                let mut text = [0u8; 36];
                uuid_text(&bytes, &mut text);
                // Hex digits and hyphens: always UTF-8.
                visitor.visit_str(std::str::from_utf8(&text).map_err(|e| Error(e.to_string()))?)
            }
            tag::TIME => visitor.visit_i64(self.zigzag()?),
            tag::TIME_NS => visitor.visit_str(&self.nanos_text()?),
            tag::SEQ => self.nested(|de| {
                let mut access = Elements { de, ended: false };
                let v = visitor.visit_seq(&mut access)?;
                let ended = access.ended;
                de.end(ended)?;
                Ok(v)
            }),
            tag::MAP => self.nested(|de| {
                let mut access = Elements { de, ended: false };
                let v = visitor.visit_map(&mut access)?;
                let ended = access.ended;
                de.end(ended)?;
                Ok(v)
            }),
            t => Err(Error(format!("unknown tag {t}"))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == tag::NULL {
            self.at += 1;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        // `domain::time` asks for a time this way: a `TIME_NS` as its nanoseconds, not
        // written out as text to be parsed again.
        if name == TIME_NS_NAME && self.peek()? == tag::TIME_NS {
            self.at += 1;
            return visitor.visit_i128(i128::from(self.zigzag()?));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            tag::STR | tag::STR_REF | tag::LONG_STR => {
                // A unit variant: its name (borrowed from the segment, as every string is).
                let name = de::Deserializer::deserialize_any(&mut *self, BorrowedName)?;
                visitor.visit_enum(IntoDeserializer::<'de, Error>::into_deserializer(name))
            }
            tag::MAP => {
                self.at += 1;
                self.nested(|de| {
                    let v = visitor.visit_enum(&mut *de)?;
                    de.end(false)?;
                    Ok(v)
                })
            }
            _ => Err(Error("an enum is a name or a map of one name".into())),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A string borrowed from the segment (a unit variant's name).
struct BorrowedName;

impl<'de> Visitor<'de> for BorrowedName {
    type Value = &'de str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a variant name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<&'de str, E> {
        Ok(v)
    }
}

/// The values of a sequence or the entries of a map, up to `END`.
struct Elements<'a, 'de> {
    de: &'a mut Decoder<'de>,
    ended: bool,
}

impl Elements<'_, '_> {
    fn at_end(&mut self) -> Result<bool, Error> {
        if self.ended {
            return Ok(true);
        }
        if self.de.peek()? == tag::END {
            self.de.at += 1;
            self.ended = true;
        }
        Ok(self.ended)
    }
}

impl<'de> de::SeqAccess<'de> for &mut Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if self.at_end()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

impl<'de> de::MapAccess<'de> for &mut Elements<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if self.at_end()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.de)
    }
}

impl<'de> de::EnumAccess<'de> for &mut Decoder<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let v = seed.deserialize(&mut *self)?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Decoder<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn encode<T: Serialize>(records: &[T]) -> Vec<u8> {
        let mut enc = Encoder::new();
        for r in records {
            assert_eq!(enc.push(r), Ok(()));
        }
        enc.finish()
    }

    fn decode<T: de::DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, Error> {
        let mut dec = Decoder::new(bytes).ok_or_else(|| Error("no magic".into()))?;
        let mut out = Vec::new();
        while !dec.done() {
            out.push(dec.record()?);
        }
        Ok(out)
    }

    #[test]
    fn the_bytes_by_hand() {
        // Two records {"id": <uuid>, "n": -3, "s": "ab"} and {"id": <same uuid>, "n": 200, "s": "ab"}.
        let uuid = "01234567-89ab-cdef-0123-456789abcdef";
        let recs = [json!({"id": uuid, "n": -3, "s": "ab"}), json!({"id": uuid, "n": 200, "s": "ab"})];
        let bytes = encode(&recs);
        let mut expected = b"FSB1".to_vec();
        // MAP, "id" (string 0), UUID 0 and its 16 bytes, "n" (string 1), −3 = −1 − 2,
        // "s" (string 2), "ab" (string 3), END.
        expected.extend([tag::MAP, tag::STR, 2, b'i', b'd', tag::UUID]);
        expected.extend([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        expected.extend([tag::STR, 1, b'n', tag::NINT, 2, tag::STR, 1, b's', tag::STR, 2, b'a', b'b', tag::END]);
        // The second: every string and the UUID by number; 200 = 0xC8 as LEB128: 0xC8, 0x01.
        expected.extend([tag::MAP, tag::STR_REF, 0, tag::UUID_REF, 0, tag::STR_REF, 1, tag::UINT, 0xC8, 0x01, tag::STR_REF, 2, tag::STR_REF, 3, tag::END]);
        assert_eq!(bytes, expected);
        assert_eq!(decode::<Value>(&bytes), Ok(recs.to_vec()));
    }

    #[test]
    fn only_lowercase_canonical_uuids_are_packed() {
        for (s, packed) in [
            ("01234567-89ab-cdef-0123-456789abcdef", true),
            ("01234567-89AB-cdef-0123-456789abcdef", false),
            ("0123456789ab-cdef-0123-456789abcdef-", false),
            ("01234567-89ab-cdef-0123-456789abcdeg", false),
            ("01234567-89ab-cdef-0123-456789abcde", false),
        ] {
            assert_eq!(uuid_bytes(s).is_some(), packed, "{s}");
            let bytes = encode(&[s]);
            assert_eq!(bytes[4] == tag::UUID, packed, "{s}");
            assert_eq!(decode::<String>(&bytes), Ok(vec![s.to_string()]));
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300f64..1e300).prop_map(Value::from),
            "[a-c]{0,3}|.{0,80}".prop_map(Value::from),
            any::<[u8; 16]>().prop_map(|b| {
                let mut t = [0u8; 36];
                uuid_text(&b, &mut t);
                Value::from(String::from_utf8_lossy(&t).into_owned())
            }),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map("[a-d]{0,2}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON value (numbers of every sign and size, repeated and long strings,
        /// UUIDs, nesting) reads back as written, several to a segment.
        #[test]
        fn any_json_reads_back(values in prop::collection::vec(any_json(), 0..6)) {
            prop_assert_eq!(decode::<Value>(&encode(&values)), Ok(values));
        }

        /// Damaged bytes: an error or some values, never a panic.
        #[test]
        fn damaged_bytes_never_panic(values in prop::collection::vec(any_json(), 1..4), cut in any::<prop::sample::Index>(), flip in any::<(prop::sample::Index, u8)>()) {
            let mut bytes = encode(&values);
            let at = flip.0.index(bytes.len() - 4) + 4;
            bytes[at] ^= flip.1;
            let _ = decode::<Value>(&bytes);
            let _ = decode::<Value>(&bytes[..cut.index(bytes.len())]);
        }

        /// Values read by hand (`value`, `skip`) as serde reads them, whole and damaged.
        #[test]
        fn by_hand_reads_as_serde(values in prop::collection::vec(any_json(), 1..4), cut in any::<prop::sample::Index>(), flip in any::<(prop::sample::Index, u8)>()) {
            let mut bytes = encode(&values);
            by_hand_as_serde(&bytes);
            by_hand_as_serde(&bytes[..cut.index(bytes.len())]);
            let at = flip.0.index(bytes.len() - 4) + 4;
            bytes[at] ^= flip.1;
            by_hand_as_serde(&bytes);
        }
    }

    /// Reads `bytes` value after value by hand (`Decoder::value`, `skip`) and through
    /// serde (`Value`, `IgnoredAny` by `deserialize_any`): the same values or the same
    /// error, each next value starting at the same byte.
    fn by_hand_as_serde(bytes: &[u8]) {
        let Some(mut a) = Decoder::new(bytes) else { return };
        let (mut b, mut c, mut d) = (a.clone(), a.clone(), a.clone());
        while !a.done() {
            let (by_hand, by_serde) = (a.value(), b.record::<Value>());
            assert_eq!(by_hand, by_serde, "{bytes:?}");
            let (skipped, ignored) = (c.skip(), d.record::<de::IgnoredAny>().map(|_| ()));
            assert_eq!(skipped, ignored, "{bytes:?}");
            if by_hand.is_err() || skipped.is_err() {
                return;
            }
            assert_eq!((a.position(), c.position()), (b.position(), d.position()), "{bytes:?}");
            assert_eq!((a.strings.len(), a.uuids.len()), (b.strings.len(), b.uuids.len()));
        }
    }

    #[test]
    fn times_with_a_fraction_are_nanoseconds() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct At {
            #[serde(with = "crate::domain::time::utc")]
            at: DateTime<Utc>,
        }
        // 2026-08-18T04:58:10.25Z: 1,787,029,090 s and 250,000,000 ns, so
        // 1,787,029,090,250,000,000 ns; zigzag doubles it: 3,574,058,180,500,000,000, in
        // LEB128 (7 bits a byte, lowest first): 0x80 0x9A 0xA0 0xFA 0xA9 0xDF 0xE6 0xCC 0x31.
        let t = DateTime::from_timestamp(1_787_029_090, 250_000_000).unwrap_or_default();
        let bytes = encode(&[At { at: t }]);
        let mut expected = MAGIC.to_vec();
        expected.extend([tag::MAP, tag::STR, 2, b'a', b't', tag::TIME_NS, 0x80, 0x9A, 0xA0, 0xFA, 0xA9, 0xDF, 0xE6, 0xCC, 0x31, tag::END]);
        assert_eq!(bytes, expected);
        // Read back exactly: by serde, directly, and as a plain value (the text chrono
        // writes, as such a time was stored before).
        assert_eq!(decode::<At>(&bytes), Ok(vec![At { at: t }]));
        let Some(mut d) = Decoder::new(&bytes) else { panic!("no magic") };
        assert_eq!((d.map_start(), d.key().map(|k| k.map(|k| k.into_owned())), d.time()), (Ok(()), Ok(Some("at".to_string())), Ok(t)));
        assert_eq!(decode::<Value>(&bytes), Ok(vec![json!({"at": "2026-08-18T04:58:10.250Z"})]));
        // Whole seconds stay seconds; a time past 2262 stays text.
        let whole = DateTime::from_timestamp(1_787_029_090, 0).unwrap_or_default();
        assert_eq!(encode(&[At { at: whole }])[9], tag::TIME);
        let far = DateTime::from_timestamp(9_999_999_999, 5).unwrap_or_default();
        assert_eq!(encode(&[At { at: far }])[9], tag::STR);
        assert_eq!(decode::<At>(&encode(&[At { at: far }])), Ok(vec![At { at: far }]));
    }

    #[test]
    fn values_read_by_hand_as_serde_reads_them() {
        let m = |rest: &[u8]| [MAGIC.as_slice(), rest].concat();
        let key = |k: &str| [&[tag::STR, k.len() as u8][..], k.as_bytes()].concat();
        let nan = f64::NAN.to_le_bytes();
        for bytes in [
            // Keys that are not strings, first and later: a number, null, a sequence, a
            // map, a float (NaN), a time, a negative number past the range, an END.
            m(&[tag::MAP, tag::UINT, 5, tag::NULL, tag::END]),
            m(&[&[tag::MAP][..], &key("a"), &[tag::TRUE, tag::UINT, 5, tag::NULL, tag::END]].concat()),
            m(&[tag::MAP, tag::NULL, tag::NULL, tag::END]),
            m(&[tag::MAP, tag::SEQ, tag::END, tag::NULL, tag::END]),
            m(&[&[tag::MAP][..], &key("a"), &[tag::TRUE, tag::MAP, tag::END, tag::NULL, tag::END]].concat()),
            m(&[&[tag::MAP, tag::F64][..], &nan, &[tag::NULL, tag::END]].concat()),
            m(&[tag::MAP, tag::TIME, 3, tag::NULL, tag::END]),
            m(&[tag::MAP, tag::TIME_NS, 0x80, 0x9A, 0xA0, 0xFA, 0xA9, 0xDF, 0xE6, 0xCC, 0x31, tag::TIME_NS, 3, tag::END]),
            m(&[tag::TIME_NS, 0x80, 0x9A, 0xA0, 0xFA, 0xA9, 0xDF, 0xE6, 0xCC, 0x31, tag::TIME_NS, 0x80]),
            m(&[tag::MAP, tag::NINT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, tag::NULL, tag::END]),
            m(&[tag::MAP, tag::FALSE, tag::NULL, tag::END]),
            // A map with a key and no value; repeated keys (the later kept); a float NaN
            // as a value (null); a time as a value; strings and UUIDs by a number not given.
            m(&[&[tag::MAP][..], &key("a"), &[tag::END]].concat()),
            m(&[&[tag::MAP][..], &key("a"), &[tag::UINT, 1, tag::STR_REF, 0, tag::UINT, 2, tag::END]].concat()),
            m(&[&[tag::F64][..], &nan, &[tag::TIME, 7, tag::STR_REF, 0, tag::UUID_REF, 0]].concat()),
            m(&[tag::END, tag::NULL]),
            m(&[99]),
            m(&[tag::STR, 2, 0xff, 0xfe]),
        ] {
            by_hand_as_serde(&bytes);
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(std::iter::repeat_n(tag::SEQ, 100_000));
        assert_eq!(decode::<Value>(&bytes), Err(Error("values nested too deeply".into())));
        assert!(Decoder::new(b"[]").is_none());
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    enum Shape {
        Dot,
        Len(u32),
        Pair(i8, i8),
        Box { w: u16, h: u16 },
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Rec {
        shapes: Vec<Shape>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        maybe: Option<Option<u8>>,
        bytes: Vec<u8>,
        c: char,
        t: (bool, f32),
        #[serde(flatten)]
        rest: serde_json::Map<String, Value>,
    }

    #[test]
    fn enums_options_and_flattened_fields_read_back() {
        let rec = Rec {
            shapes: vec![Shape::Dot, Shape::Len(7), Shape::Pair(-1, 2), Shape::Box { w: 3, h: 4 }],
            maybe: Some(Some(9)),
            bytes: vec![0, 255],
            c: '商',
            t: (true, 0.5),
            rest: [("newer".to_string(), json!({"a": [1, "x"]}))].into_iter().collect(),
        };
        let bytes = encode(&[&rec]);
        assert_eq!(decode::<Rec>(&bytes), Ok(vec![rec]));
        // Written as JSON writes it: the same value either way.
        let via_json = decode::<Value>(&bytes).unwrap_or_default();
        assert_eq!(via_json[0]["shapes"], json!(["Dot", {"Len": 7}, {"Pair": [-1, 2]}, {"Box": {"w": 3, "h": 4}}]));
        assert_eq!(via_json[0]["newer"], json!({"a": [1, "x"]}));
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Times {
        #[serde(with = "crate::domain::time::utc")]
        at: chrono::DateTime<chrono::Utc>,
        #[serde(default, with = "crate::domain::time::utc_opt")]
        done: Option<chrono::DateTime<chrono::Utc>>,
    }

    #[test]
    fn times_are_seconds_or_nanoseconds_and_older_text_still_reads() {
        // 2026-08-18T04:58:10Z = 1,787,029,090 s (worked out in `domain::time`'s tests):
        // zigzag 2 × 1,787,029,090 = 3,574,058,180; in 7-bit groups from the low end (each
        // the remainder by 128): 68, 25, 31, 40, 13 → C4 99 9F A8 0D (high bit: more follow).
        let at = chrono::DateTime::from_timestamp(1_787_029_090, 0).unwrap_or_default();
        let bytes = encode(&[Times { at, done: None }]);
        let mut expected = b"FSB1".to_vec();
        expected.extend([tag::MAP, tag::STR, 2, b'a', b't', tag::TIME, 0xC4, 0x99, 0x9F, 0xA8, 0x0D]);
        expected.extend([tag::STR, 4, b'd', b'o', b'n', b'e', tag::NULL, tag::END]);
        assert_eq!(bytes, expected);
        // A millisecond (the app stamps what it records to the millisecond) is kept exactly
        // (as nanoseconds: `times_with_a_fraction_are_nanoseconds`); a time before 1970 is a
        // negative number of seconds.
        let fine = chrono::DateTime::from_timestamp(1_787_029_090, 123_000_000).unwrap_or_default();
        let early = chrono::DateTime::from_timestamp(-86_400, 0).unwrap_or_default();
        let recs = vec![Times { at: fine, done: Some(early) }, Times { at: early, done: Some(fine) }];
        assert_eq!(decode::<Times>(&encode(&recs)), Ok(recs));
        // As a v9 build stored such a time, chrono's text: read as before, by serde and
        // directly.
        let mut v9 = b"FSB1".to_vec();
        v9.extend([tag::MAP, tag::STR, 2, b'a', b't', tag::STR, 24]);
        v9.extend(b"2026-08-18T04:58:10.123Z");
        v9.extend([tag::END]);
        assert_eq!(decode::<Times>(&v9), Ok(vec![Times { at: fine, done: None }]));
        let Some(mut d) = Decoder::new(&v9) else { panic!("no magic") };
        assert_eq!((d.map_start(), d.key().map(|k| k.map(|k| k.into_owned())), d.time()), (Ok(()), Ok(Some("at".to_string())), Ok(fine)));
        // As values (no type to say which numbers are times), the seconds read as numbers.
        assert_eq!(decode::<Value>(&bytes), Ok(vec![json!({"at": 1_787_029_090, "done": null})]));
    }
}
