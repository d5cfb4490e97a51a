//! Python's float formatting, for tool output that scripts parse: `repr(x)` (what `str()`,
//! `print` of a list and `json.dumps` show), `'%f' % x` and `'%.Ng' % x`.
//!
//! Rust's `{:e}` gives the shortest round-trip digits and `{:.Ne}` correctly rounded ones, the
//! same digits Python computes; only the layout rules differ, and they are reproduced here.

/// Sign, decimal digits (no leading zeros) and decimal exponent of the first digit, from Rust's
/// `{:e}`-style output such as `-1.25e-7`.
fn split_sci(s: &str) -> (bool, String, i32) {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = s.split_once('e').expect("scientific notation");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    (negative, digits, exp.parse().expect("exponent"))
}

fn special(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("nan")
    } else if x == f64::INFINITY {
        Some("inf")
    } else if x == f64::NEG_INFINITY {
        Some("-inf")
    } else {
        None
    }
}

/// Places a decimal point in `digits` whose first digit has exponent `exp`.
fn fixed_from_digits(digits: &str, exp: i32) -> String {
    if exp < 0 {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else if (exp as usize) + 1 >= digits.len() {
        format!("{digits}{}", "0".repeat(exp as usize + 1 - digits.len()))
    } else {
        let (int, frac) = digits.split_at(exp as usize + 1);
        format!("{int}.{frac}")
    }
}

fn exponent_suffix(exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("e{sign}{:02}", exp.abs())
}

/// `repr(x)`: `1.0`, `0.1`, `1e-05`, `1e+16`, `inf`, `nan`.
pub fn float_repr(x: f64) -> String {
    ReprBuffer::new().format(x).to_owned()
}

/// Appends `repr(x)` to `out` without allocating (the hot path of the webapp's outputs).
pub fn write_float_repr(out: &mut String, x: f64) {
    out.push_str(ReprBuffer::new().format(x));
}

/// Room for `repr(x)` of any float: `-2.2250738585072014e-308` is the longest (24 bytes).
pub const REPR_MAX: usize = 32;

/// `repr(x)` written into a buffer on the stack, like `ryu::Buffer`: the webapp's large json
/// renders write a million floats each, so this is the formatting hot path.
///
/// The shortest round-trip digits (the digits Python's repr uses, ties to even) come from
/// zmij, which also lays them out as repr does in fixed notation, `.0` included, for decimal
/// exponents -4 to 15 (`0.0001`, `41.375`, `1000000000000000.0`). Everything else, exponent
/// notation and zmij's `0.0000ddd` one place below repr's switch to `d.dde-05`, is laid out
/// again from zmij's digits.
pub struct ReprBuffer {
    shortest: zmij::Buffer,
    text: [u8; REPR_MAX],
}

impl std::fmt::Debug for ReprBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReprBuffer")
    }
}

impl Default for ReprBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl ReprBuffer {
    /// An empty buffer (cheap: zmij's part is left uninitialized).
    pub fn new() -> Self {
        Self {
            shortest: zmij::Buffer::new(),
            text: [0; REPR_MAX],
        }
    }

    /// `repr(x)`, borrowed from the buffer.
    pub fn format(&mut self, x: f64) -> &str {
        if let Some(s) = special(x) {
            return s;
        }
        if let Some(len) = short_repr(x, &mut self.text) {
            // Digits, '.' and a sign: ASCII, so this never fails.
            return std::str::from_utf8(&self.text[..len]).unwrap_or_default();
        }
        self.format_shortest(x)
    }

    /// Writes `repr(x)` at the start of `text` and returns its length: for callers that build
    /// their text in place (the webapp writes a whole json point at a time), where appending
    /// a `&str` of unknown length would be a call to memcpy.
    #[inline]
    pub fn write_to(&mut self, x: f64, text: &mut [u8; REPR_MAX]) -> usize {
        if let Some(len) = short_repr(x, text) {
            return len;
        }
        let repr = match special(x) {
            Some(s) => s,
            None => self.format_shortest(x),
        };
        let len = repr.len().min(REPR_MAX);
        text[..len].copy_from_slice(&repr.as_bytes()[..len]);
        len
    }

    /// `repr(x)` of a finite `x` from its shortest digits.
    fn format_shortest(&mut self, x: f64) -> &str {
        let rendered = self.shortest.format_finite(x);
        // At or above 1e-4 (the double nearest it) the shortest digits' exponent is at least
        // -4, so without an exponent zmij's text is repr's.
        if (x.abs() >= 1e-4 || x == 0.0) && !rendered.as_bytes().contains(&b'e') {
            return rendered;
        }
        let len = relayout(rendered.as_bytes(), &mut self.text);
        // Sign, digits, '.', 'e' and the exponent's sign: ASCII, so this never fails.
        std::str::from_utf8(&self.text[..len]).unwrap_or_default()
    }
}

/// `repr(x)` for a finite `x` with at most 3 decimals below 2^41 or at most 8 below 2^24, and
/// at least 1e-4, written to `text` (returns its length); `None` for other values, which go to
/// zmij. Most metric values are such (`41.375`, `0.25`, `98.26`, integers), and writing their
/// digits from tables is two to three times as fast as zmij's general algorithm.
///
/// The digits are exactly repr's. With `D` decimals (3 or 8, so that `m = |x| * 10^D < 2^51`)
/// and `N` the integer nearest `m`, the fast path answers only when `N / 10^D == |x|` in
/// floating point, that is when the decimal `N * 10^-D` reads back as `|x|` (the division of
/// two exact doubles is correctly rounded, as `float()` of the text is). Then the shortest
/// round-trip decimal `S` (repr's digits) has no more significant digits than `N` without its
/// trailing zeros, so no more decimals (`S` is not in a lower decade: the power of ten between
/// the two would round-trip too, with fewer digits, and a one-digit `S` would be too far from
/// it to round-trip). Both are within half an ulp of `|x|`,
/// and `ulp(|x|) * 10^D <= m * 2^-52 < 1/2`, so `|m - S * 10^D| < 1/4 + 1/8` (the product's
/// rounding) and `N` is `S * 10^D`: `N` without its trailing zeros is `S`. Repr writes `S` in
/// fixed notation here (exponents -4 to 12): integer part, `.`, the decimals without trailing
/// zeros, or `.0`.
#[inline]
fn short_repr(x: f64, text: &mut [u8; REPR_MAX]) -> Option<usize> {
    let a = x.abs();
    // (NaN is in no range.)
    if !(1e-4..2_199_023_255_552.0).contains(&a) {
        return None;
    }
    let (int_part, decimals, decimals_len) = if let Some(n) = round_trip(a, 1e3) {
        let decimals = DECIMALS3[(n % 1000) as usize];
        (
            n / 1000,
            u64::from(decimals & 0xff_ffff),
            (decimals >> 24) as usize,
        )
    } else if a < 16_777_216.0 {
        let n = round_trip(a, 1e8)?;
        let digits = digits8(n % 100_000_000);
        // (At least one: `12.0` were the decimals all zeros, which the first case takes.)
        let len = (8 - (digits.leading_zeros() / 8) as usize).max(1);
        (n / 100_000_000, digits | ASCII_ZEROS, len)
    } else {
        return None;
    };
    text[0] = b'-';
    let mut at = usize::from(x < 0.0);
    // The integer part in groups of three digits, the first without leading zeros.
    let mut groups = [0u16; 4];
    let mut count = 0;
    let mut rest = int_part;
    while rest >= 1000 && count < groups.len() {
        groups[count] = (rest % 1000) as u16;
        rest /= 1000;
        count += 1;
    }
    let first = INT3[rest as usize % 1000];
    put_word(text, at, &first.to_le_bytes());
    at += (first >> 24) as usize;
    while count > 0 {
        count -= 1;
        put_word(text, at, &PAD3[usize::from(groups[count])].to_le_bytes());
        at += 3;
    }
    text[at] = b'.';
    put_word(text, at + 1, &decimals.to_le_bytes());
    Some(at + 1 + decimals_len)
}

/// `round(a * scale)` when it divided by `scale` gives `a` back exactly (`a * scale` below
/// 2^51, where `+ 0.5` is exact and the conversions through i64 are single instructions).
#[inline]
fn round_trip(a: f64, scale: f64) -> Option<u64> {
    let n = (a * scale + 0.5) as i64;
    #[allow(clippy::float_cmp)] // exactly the round trip being checked
    (n as f64 / scale == a).then_some(n as u64)
}

/// `'0'` in every byte: digit values to ASCII.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The 8 decimal digits of `x < 10^8` as byte values, the first in the lowest byte (the
/// order of `to_le_bytes`): halves, quarters and digits split in parallel lanes.
#[inline]
fn digits8(x: u64) -> u64 {
    let v = (x / 10_000) | ((x % 10_000) << 32);
    // Per 32-bit lane (below 10^4): v / 100 is (v * 5243) >> 19.
    let q = ((v * 5243) >> 19) & 0x0000_007f_0000_007f;
    let v = q | ((v - q * 100) << 16);
    // Per 16-bit lane (below 100): v / 10 is (v * 103) >> 10.
    let q = ((v * 103) >> 10) & 0x000f_000f_000f_000f;
    q | ((v - q * 10) << 8)
}

/// Stores `word` at `text[at..]` (all of it: the bytes past what counts are overwritten next
/// or cut off).
#[inline]
fn put_word(text: &mut [u8; REPR_MAX], at: usize, word: &[u8]) {
    if let Some(slot) = text.get_mut(at..at + word.len()) {
        slot.copy_from_slice(word);
    }
}

/// `INT3[i]`: the digits of `i < 1000` without leading zeros in the low bytes (first digit
/// lowest), their count in the top byte.
const INT3: [u32; 1000] = digit_table(false);

/// `DECIMALS3[i]`: the three decimals `i / 1000` without trailing zeros (at least one digit:
/// `0` for 0), their count in the top byte.
const DECIMALS3: [u32; 1000] = digit_table(true);

/// `PAD3[i]`: the three ASCII digits of `i < 1000`, leading zeros included, the first in the
/// lowest byte (the webapp's timestamp writer uses it too).
pub const PAD3: [u32; 1000] = {
    let mut table = [0u32; 1000];
    let mut i = 0;
    while i < 1000 {
        table[i] = (0x30 + (i / 100) as u32)
            | ((0x30 + (i / 10 % 10) as u32) << 8)
            | ((0x30 + (i % 10) as u32) << 16);
        i += 1;
    }
    table
};

const fn digit_table(decimals: bool) -> [u32; 1000] {
    let mut table = [0u32; 1000];
    let mut i = 0;
    while i < 1000 {
        let digits = [(i / 100) as u32, (i / 10 % 10) as u32, (i % 10) as u32];
        // Decimals drop trailing zeros, integers leading ones.
        let (from, len) = if decimals {
            (
                0,
                if i % 100 == 0 {
                    1
                } else if i % 10 == 0 {
                    2
                } else {
                    3
                },
            )
        } else if i >= 100 {
            (0, 3)
        } else if i >= 10 {
            (1, 2)
        } else {
            (2, 1)
        };
        let mut word = (len as u32) << 24;
        let mut k = 0;
        while k < len {
            word |= (0x30 + digits[from + k]) << (8 * k);
            k += 1;
        }
        table[i] = word;
        i += 1;
    }
    table
}

/// Bytes appended to a fixed buffer; what does not fit is dropped (nothing written here is
/// longer than [`REPR_MAX`]).
struct Cursor<'a> {
    text: &'a mut [u8; REPR_MAX],
    len: usize,
}

impl Cursor<'_> {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.text.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
}

/// Writes repr's layout of the shortest digits in `rendered` (zmij's text of a finite
/// float: `-1.5e-7`, `1e+16`, `0.0000123`, `41.375`) to `text`; returns its length.
fn relayout(rendered: &[u8], text: &mut [u8; REPR_MAX]) -> usize {
    let mut out = Cursor { text, len: 0 };
    let body = match rendered.split_first() {
        Some((b'-', rest)) => {
            out.push(b'-');
            rest
        }
        _ => rendered,
    };
    let e_at = body.iter().position(|&b| b == b'e').unwrap_or(body.len());
    let mantissa = &body[..e_at];
    let explicit_exp = body.get(e_at + 1..).map_or(0, parse_exponent);
    let point = mantissa
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = [0u8; REPR_MAX];
    let mut n = 0;
    let mut first_at: Option<usize> = None; // index in mantissa of the first nonzero digit
    for (i, &b) in mantissa.iter().enumerate() {
        if b == b'.' || (first_at.is_none() && b == b'0') {
            continue;
        }
        first_at.get_or_insert(i);
        if n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    // Trailing zeros are not significant digits (`100.0` is the digit 1).
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let Some(first_at) = first_at else {
        out.extend(b"0.0");
        return out.len;
    };
    let first_exp = if first_at < point {
        (point - first_at - 1) as i32
    } else {
        -((first_at - point) as i32)
    };
    let exp = first_exp + explicit_exp;
    let digits = &digits[..n];
    // Python switches to exponent notation when decpt = exp + 1 is <= -4 or > 16.
    if !(-4..16).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let abs = exp.unsigned_abs();
        if abs >= 100 {
            out.push(b'0' + (abs / 100) as u8);
        }
        out.push(b'0' + (abs / 10 % 10) as u8);
        out.push(b'0' + (abs % 10) as u8);
    } else if exp < 0 {
        out.extend(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend(digits);
    } else if (exp as usize) + 1 >= digits.len() {
        out.extend(digits);
        for _ in 0..(exp as usize + 1 - digits.len()) {
            out.push(b'0');
        }
        out.extend(b".0");
    } else {
        let (int, frac) = digits.split_at(exp as usize + 1);
        out.extend(int);
        out.push(b'.');
        out.extend(frac);
    }
    out.len
}

/// The exponent after the `e` of zmij's text: `+16`, `-7`, `308`.
fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let magnitude = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i32, |acc, &b| acc * 10 + i32::from(b - b'0'));
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// The ryu-based writer this module had before zmij, kept as the oracle the zmij writer is
/// checked against (tests only).
#[cfg(test)]
mod ryu_oracle {
    /// The previous `write_float_repr`, on ryu's digits and layout.
    pub(super) fn write_float_repr(out: &mut String, x: f64) {
        use std::fmt::Write as _;
        if let Some(s) = super::special(x) {
            out.push_str(s);
            return;
        }
        if x.is_sign_negative() {
            out.push('-');
        }
        let x = x.abs();
        // Integral values below 2^53 are common (counters, whole-number samples): their repr is
        // the integer followed by `.0` while the decimal point is before the 17th digit.
        if x.fract() == 0.0 && x < 1e16 {
            let mut n = x as u64;
            let mut buf = [0u8; 20];
            let mut at = buf.len();
            loop {
                at -= 1;
                buf[at] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
            out.push_str(".0");
            return;
        }
        // Shortest round-trip digits (the digits Python's repr uses) and the decimal exponent of
        // the first one, read off ryu's rendering (`1.5e-7`, `1e16`, `123.45`, `0.0001`).
        let mut ryu_buf = ryu::Buffer::new();
        let rendered = ryu_buf.format_finite(x);
        // ryu writes fixed notation exactly as repr does while the decimal point is within 16
        // digits, except that it keeps `0.0000ddd` one place further down than repr (which writes
        // `d.dde-05` below 1e-4).
        if x >= 1e-4 && !rendered.contains('e') {
            out.push_str(rendered);
            return;
        }
        let text = rendered.as_bytes();
        let e_at = text.iter().position(|&b| b == b'e').unwrap_or(text.len());
        let mantissa = &text[..e_at];
        let explicit_exp: i32 = if e_at < text.len() {
            std::str::from_utf8(&text[e_at + 1..])
                .ok()
                .and_then(|e| e.parse().ok())
                .unwrap_or(0)
        } else {
            0
        };
        let point = mantissa
            .iter()
            .position(|&b| b == b'.')
            .unwrap_or(mantissa.len());
        let mut digits = [0u8; 24];
        let mut n = 0;
        let mut first_at: Option<usize> = None; // index in mantissa of the first nonzero digit
        for (i, &b) in mantissa.iter().enumerate() {
            if b == b'.' || (first_at.is_none() && b == b'0') {
                continue;
            }
            first_at.get_or_insert(i);
            if n < digits.len() {
                digits[n] = b;
                n += 1;
            }
        }
        // Trailing zeros are not significant digits (`100.0` is the digit 1).
        while n > 1 && digits[n - 1] == b'0' {
            n -= 1;
        }
        let Some(first_at) = first_at else {
            out.push_str("0.0");
            return;
        };
        let first_exp = if first_at < point {
            (point - first_at - 1) as i32
        } else {
            -((first_at - point) as i32)
        };
        let exp = first_exp + explicit_exp;
        let digits = &digits[..n];
        // The digits are ASCII, so this never fails (and checking is cheaper than a char loop).
        let push = |out: &mut String, bytes: &[u8]| {
            out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
        };
        // Python switches to exponent notation when decpt = exp + 1 is <= -4 or > 16.
        if !(-4..16).contains(&exp) {
            push(out, &digits[..1]);
            if digits.len() > 1 {
                out.push('.');
                push(out, &digits[1..]);
            }
            let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        } else if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            push(out, digits);
        } else if (exp as usize) + 1 >= digits.len() {
            push(out, digits);
            for _ in 0..(exp as usize + 1 - digits.len()) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            let (int, frac) = digits.split_at(exp as usize + 1);
            push(out, int);
            out.push('.');
            push(out, frac);
        }
    }
}

/// The layout of [`float_repr`] built from Rust's `{:e}` with allocations: the oracle the
/// fast writer is tested against.
#[cfg(test)]
fn float_repr_reference(x: f64) -> String {
    if let Some(s) = special(x) {
        return s.to_string();
    }
    let (negative, digits, exp) = split_sci(&format!("{x:e}"));
    let sign = if negative { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        format!("{sign}{mantissa}{}", exponent_suffix(exp))
    } else {
        let body = fixed_from_digits(&digits, exp);
        let body = if body.contains('.') {
            body
        } else {
            format!("{body}.0")
        };
        format!("{sign}{body}")
    }
}

/// `'%.{decimals}f' % x`.
pub fn percent_f(x: f64, decimals: usize) -> String {
    match special(x) {
        Some(s) => s.to_string(),
        None => format!("{x:.decimals$}"),
    }
}

/// `'%.{precision}g' % x`: `precision` significant digits, trailing zeros removed, exponent
/// notation below 1e-4 or from 10^precision.
pub fn percent_g(x: f64, precision: usize) -> String {
    if let Some(s) = special(x) {
        return s.to_string();
    }
    let precision = precision.max(1);
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sig = precision - 1;
    let (negative, digits, exp) = split_sci(&format!("{x:.sig$e}"));
    let sign = if negative { "-" } else { "" };
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if exp < -4 || exp >= precision as i32 {
        let mantissa = trim(format!("{}.{}", &digits[..1], &digits[1..]));
        format!("{sign}{mantissa}{}", exponent_suffix(exp))
    } else {
        format!("{sign}{}", trim(fixed_from_digits(&digits, exp)))
    }
}

/// Python's `str(list)` of optional floats with `None` for missing values: `[1.0, None]`.
pub fn list_repr(values: &[Option<f64>]) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|v| v.map_or_else(|| "None".to_string(), float_repr))
        .collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_matches_python() {
        for (x, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123_456_789.123_456_79, "123456789.12345679"),
            (1.5e300, "1.5e+300"),
            (f64::from(0.1f32), "0.10000000149011612"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(float_repr(x), want, "{x}");
        }
    }

    #[test]
    fn percent_formats_match_python() {
        assert_eq!(percent_f(0.0078125, 6), "0.007812");
        assert_eq!(percent_f(2.5, 6), "2.500000");
        assert_eq!(percent_f(1e-7, 6), "0.000000");
        assert_eq!(percent_f(123_456_789.123_456_79, 6), "123456789.123457");
        assert_eq!(percent_g(0.0078125, 35), "0.0078125");
        assert_eq!(percent_g(2.5, 35), "2.5");
        assert_eq!(
            percent_g(1e-7, 35),
            "9.9999999999999995474811182588625869e-08"
        );
        assert_eq!(
            percent_g(123_456_789.123_456_79, 35),
            "123456789.12345679104328155517578125"
        );
        assert_eq!(
            percent_g(1e300, 35),
            "1.0000000000000000525047602552044202e+300"
        );
        assert_eq!(percent_g(0.0, 35), "0");
        assert_eq!(percent_g(100.0, 2), "1e+02");
        assert_eq!(list_repr(&[Some(1.0), None]), "[1.0, None]");
    }
}

#[cfg(test)]
mod fast_repr_tests {
    use super::*;

    #[test]
    fn fast_writer_matches_the_layout_rules() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1e-5,
            1e-4,
            1e15,
            1e16,
            9999999999999998.0,
            1e22,
            123.456,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            2.5,
            0.0001234,
            12345678901234567.0,
        ];
        for _ in 0..200_000 {
            values.push(f64::from_bits(next()));
            values.push((next() % 2_000_000) as f64 / 64.0 - 10_000.0);
        }
        // core::fmt and Python disagree on ties between two shortest candidates (Python, and
        // ryu, round half to even); those values are checked against Python itself.
        let mut disputed = Vec::new();
        for x in values {
            if float_repr(x) != float_repr_reference(x) {
                disputed.push(x);
            }
        }
        assert!(
            disputed.len() < 1000,
            "{} values differ from core::fmt",
            disputed.len()
        );
        if disputed.is_empty() {
            return;
        }
        let script =
            "import sys\nfor line in sys.stdin:\n    print(repr(float.fromhex(line.strip())))\n";
        let mut child = std::process::Command::new(reference_python::python())
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("reference python");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("stdin");
            for x in &disputed {
                writeln!(stdin, "{}", hex_float(*x)).expect("write");
            }
        }
        let out = child.wait_with_output().expect("python");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        for (x, python) in disputed.iter().zip(text.lines()) {
            assert_eq!(float_repr(*x), python, "{x:e}");
        }
    }

    /// `float.hex()`-style text Python's `float.fromhex` reads back exactly.
    fn hex_float(x: f64) -> String {
        let bits = x.to_bits();
        let sign = if bits >> 63 == 1 { "-" } else { "" };
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let mantissa = bits & ((1 << 52) - 1);
        if exp == 0 {
            format!("{sign}0x0.{mantissa:013x}p-1022")
        } else {
            format!("{sign}0x1.{mantissa:013x}p{}", exp - 1023)
        }
    }
}

#[cfg(test)]
mod zmij_tests {
    use super::*;
    use proptest::prelude::*;

    fn ryu_repr(x: f64) -> String {
        let mut out = String::new();
        ryu_oracle::write_float_repr(&mut out, x);
        out
    }

    fn assert_same(x: f64) {
        assert_eq!(
            float_repr(x),
            ryu_repr(x),
            "{x:e} (bits {:#018x})",
            x.to_bits()
        );
    }

    /// `x`, its neighbours and their negations.
    fn assert_around(x: f64) {
        for v in [x, x.next_up(), x.next_down()] {
            assert_same(v);
            assert_same(-v);
        }
    }

    #[test]
    fn edge_values_match_the_ryu_writer() {
        for x in [
            0.0,
            1e-5,
            1e-4,
            1.5e-4,
            9.999e15,
            9_999_999_999_999_998.0,
            1e15,
            1e16,
            1e17,
            1e22,
            1e23,
            5e-324,
            1e-323,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            0.1,
            0.3,
            2.0 / 3.0,
            27.5,
            41.375,
            123_456_789.123_456_79,
            f64::from(0.1f32),
        ] {
            assert_around(x);
        }
        // Subnormals: the smallest, the largest, and a spread between.
        for bits in (1..2000u64).chain((0..2000).map(|i| 0x000f_ffff_ffff_ffff - i)) {
            assert_around(f64::from_bits(bits));
        }
        for i in 0..52 {
            assert_around(f64::from_bits((1u64 << i) | 1));
        }
        // Integers near 2^53, where consecutive doubles stop being consecutive integers.
        let two53 = 9_007_199_254_740_992u64;
        for n in two53 - 2000..two53 + 2000 {
            assert_around(n as f64);
        }
        // Every power of ten and of two, where the layout and the digit count change.
        for e in -325..=308 {
            assert_around(format!("1e{e}").parse().expect("power of ten"));
            assert_around(format!("9.999999999999999e{e}").parse().expect("below it"));
        }
        for e in -1074..=1023 {
            assert_around(2f64.powi(e));
        }
        // The specials stay Python's.
        assert_eq!(float_repr(f64::NAN), "nan");
        assert_eq!(float_repr(f64::INFINITY), "inf");
        assert_eq!(float_repr(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn random_floats_match_the_ryu_writer() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300_000 {
            // Any bit pattern (every exponent equally likely).
            assert_same(f64::from_bits(next()));
            // Metric-like values: few decimals, small integers, ratios.
            let r = next();
            let decimals = (r >> 60) as i32;
            let short = (r % 100_000_000) as f64 / 10f64.powi(decimals);
            assert_same(short);
            assert_same(-short);
            assert_same((r % 1_000_000) as f64 / ((r >> 40) % 997 + 1) as f64);
            assert_same((next() >> 11) as f64);
        }
    }

    #[test]
    fn short_values_take_the_table_path() {
        let short = |x: f64| {
            let mut text = [0; REPR_MAX];
            short_repr(x, &mut text).map(|len| String::from_utf8_lossy(&text[..len]).into_owned())
        };
        for (x, want) in [
            (27.5, "27.5"),
            (-41.375, "-41.375"),
            (98.26, "98.26"),
            (46.0, "46.0"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.12345678, "0.12345678"),
            (1234.5, "1234.5"),
            (1_700_000_000.0, "1700000000.0"),
            (2_199_023_255_551.5, "2199023255551.5"),
            (16_777_215.000_000_01, "16777215.00000001"),
        ] {
            assert_eq!(short(x).as_deref(), Some(want), "{x}");
            assert_same(x);
        }
        // More decimals, too small or too large, and the specials go to zmij.
        for x in [
            0.1 + 0.2,
            1.0 / 3.0,
            0.000_099,
            2_199_023_255_552.0,
            16_777_216.5 + 0.000_1,
            0.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(short(x), None, "{x}");
        }
    }

    proptest! {
        #[test]
        fn any_float_matches_the_ryu_writer(x in any::<f64>()) {
            prop_assert_eq!(float_repr(x), ryu_repr(x));
        }

        #[test]
        fn any_bit_pattern_matches_the_ryu_writer(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(float_repr(x), ryu_repr(x));
        }
    }
}
