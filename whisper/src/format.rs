//! The on-disk layout of a whisper file, byte for byte as whisper 1.1.10 writes it.
//!
//! ```text
//! File        = Metadata ArchiveInfo{archiveCount} ArchiveData{archiveCount}
//! Metadata    = aggregationType:u32 maxRetention:u32 xFilesFactor:f32 archiveCount:u32   (16 bytes)
//! ArchiveInfo = offset:u32 secondsPerPoint:u32 points:u32                                 (12 bytes)
//! ArchiveData = Point{points}
//! Point       = timestamp:u32 value:f64                                                   (12 bytes)
//! ```
//!
//! Everything is big-endian with no padding. `aggregationType` is 1..=8 (see
//! [`AggregationMethod`]); `maxRetention` is the largest `secondsPerPoint * points`; archives are
//! sorted finest first and `offset` is the absolute byte offset of an archive's first point, the
//! first one right after the header. An empty slot is all zero bytes. A slot holds a value only
//! when its stored timestamp is the one its position stands for (see [`ArchiveInfo::slot_offset`]).
//!
//! whisper 1.1.10 checks only the aggregation type, the xFilesFactor range and that the header
//! bytes are there. [`Header::parse`] also checks the layout (offsets chained, points and
//! precision non-zero, the file long enough), so that a truncated or foreign file is refused before
//! anything is read from or written to a wrong place.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Size of the metadata block at the start of the file.
pub const METADATA_SIZE: u64 = 16;
/// Size of one archive-info entry.
pub const ARCHIVE_INFO_SIZE: u64 = 12;
/// Size of one stored point.
pub const POINT_SIZE: u64 = 12;
/// More archives than any valid file can have: each archive's precision is a strictly larger
/// multiple of the previous one's, so a u32 precision allows at most 32. A count above this is
/// refused before the header is read, so a foreign file cannot make us read gigabytes of it.
pub const MAX_ARCHIVES: u32 = 1024;

/// How a lower-precision archive summarises the points of a higher-precision one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregationMethod {
    /// Mean of the known values (code 1).
    Average,
    /// Sum of the known values (code 2).
    Sum,
    /// The latest known value (code 3).
    Last,
    /// Largest known value (code 4).
    Max,
    /// Smallest known value (code 5).
    Min,
    /// Mean over the whole window, missing values counted as zero (code 6).
    AvgZero,
    /// The known value of largest magnitude, sign kept (code 7).
    AbsMax,
    /// The known value of smallest magnitude, sign kept (code 8).
    AbsMin,
}

impl AggregationMethod {
    /// All methods in on-disk code order, as whisper lists them.
    pub const ALL: [AggregationMethod; 8] = [
        AggregationMethod::Average,
        AggregationMethod::Sum,
        AggregationMethod::Last,
        AggregationMethod::Max,
        AggregationMethod::Min,
        AggregationMethod::AvgZero,
        AggregationMethod::AbsMax,
        AggregationMethod::AbsMin,
    ];

    /// The on-disk code.
    pub fn code(self) -> u32 {
        match self {
            AggregationMethod::Average => 1,
            AggregationMethod::Sum => 2,
            AggregationMethod::Last => 3,
            AggregationMethod::Max => 4,
            AggregationMethod::Min => 5,
            AggregationMethod::AvgZero => 6,
            AggregationMethod::AbsMax => 7,
            AggregationMethod::AbsMin => 8,
        }
    }

    /// The method for an on-disk code, if it is one.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(code.checked_sub(1)? as usize).copied()
    }

    /// The name whisper uses (`average`, `avg_zero`, ...).
    pub fn name(self) -> &'static str {
        match self {
            AggregationMethod::Average => "average",
            AggregationMethod::Sum => "sum",
            AggregationMethod::Last => "last",
            AggregationMethod::Max => "max",
            AggregationMethod::Min => "min",
            AggregationMethod::AvgZero => "avg_zero",
            AggregationMethod::AbsMax => "absmax",
            AggregationMethod::AbsMin => "absmin",
        }
    }
}

impl fmt::Display for AggregationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AggregationMethod {
    type Err = Error;

    /// Parses a method name exactly (case-sensitive), with whisper's error message.
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                Error::InvalidAggregationMethod(format!("Unrecognized aggregation method: {s}"))
            })
    }
}

/// One archive's entry in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveInfo {
    /// Absolute byte offset of the archive's first point.
    pub offset: u32,
    /// Precision: seconds covered by one point.
    pub seconds_per_point: u32,
    /// Number of points (slots) in the ring.
    pub points: u32,
}

impl ArchiveInfo {
    /// Seconds covered by the whole archive (`secondsPerPoint * points`).
    pub fn retention(&self) -> u64 {
        u64::from(self.seconds_per_point) * u64::from(self.points)
    }

    /// Bytes the archive's points take.
    pub fn size_bytes(&self) -> u64 {
        u64::from(self.points) * POINT_SIZE
    }

    /// One past the archive's last byte.
    pub fn end_offset(&self) -> u64 {
        u64::from(self.offset) + self.size_bytes()
    }

    /// The byte offset where the point for `interval` lives, given the archive's base (the
    /// timestamp stored in its first slot, non-zero). Python floor/modulo semantics, so intervals
    /// before the base wrap backwards.
    pub fn slot_offset(&self, base_interval: i64, interval: i64) -> u64 {
        // i128: Python's integers do not overflow, and any two i64 differ by less than 2^65.
        let spp = i128::from(self.seconds_per_point);
        let point_distance = (i128::from(interval) - i128::from(base_interval)).div_euclid(spp);
        let byte_distance = point_distance * POINT_SIZE as i128;
        let within = byte_distance.rem_euclid(self.size_bytes() as i128) as u64;
        u64::from(self.offset) + within
    }
}

/// The parsed header of a whisper file.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// How points propagate to lower archives.
    pub aggregation_method: AggregationMethod,
    /// The header's maxRetention field (normally the last archive's retention).
    pub max_retention: u32,
    /// Fraction of known points a propagation window needs, stored as f32.
    pub x_files_factor: f32,
    /// The archives, finest precision first.
    pub archives: Vec<ArchiveInfo>,
}

impl Header {
    /// Bytes taken by the metadata and archive-info entries for `archive_count` archives.
    pub fn size_for(archive_count: usize) -> u64 {
        METADATA_SIZE + ARCHIVE_INFO_SIZE * archive_count as u64
    }

    /// Bytes taken by this header.
    pub fn size_bytes(&self) -> u64 {
        Self::size_for(self.archives.len())
    }

    /// The size the whole file must have.
    pub fn file_size(&self) -> u64 {
        self.archives
            .last()
            .map_or(self.size_bytes(), ArchiveInfo::end_offset)
    }

    /// Encodes the 16-byte metadata block.
    pub fn encode_metadata(
        method: AggregationMethod,
        max_retention: u32,
        x_files_factor: f32,
        archive_count: u32,
    ) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..4].copy_from_slice(&method.code().to_be_bytes());
        out[4..8].copy_from_slice(&max_retention.to_be_bytes());
        out[8..12].copy_from_slice(&x_files_factor.to_be_bytes());
        out[12..16].copy_from_slice(&archive_count.to_be_bytes());
        out
    }

    /// Encodes the whole header (metadata and archive entries).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_bytes() as usize);
        out.extend_from_slice(&Self::encode_metadata(
            self.aggregation_method,
            self.max_retention,
            self.x_files_factor,
            self.archives.len() as u32,
        ));
        for a in &self.archives {
            out.extend_from_slice(&a.offset.to_be_bytes());
            out.extend_from_slice(&a.seconds_per_point.to_be_bytes());
            out.extend_from_slice(&a.points.to_be_bytes());
        }
        out
    }

    /// Reads the archive count from a metadata block, if the block is whole.
    pub fn archive_count(bytes: &[u8]) -> Option<u32> {
        Some(be_u32(bytes.get(12..16)?))
    }

    /// Parses and validates a header from the first bytes of a file of `file_len` bytes.
    ///
    /// `bytes` must hold at least the metadata and every archive entry (use
    /// [`Header::archive_count`] to know how many bytes that is); fewer is reported as whisper
    /// reports it.
    pub fn parse(bytes: &[u8], file_len: u64, path: &Path) -> Result<Header> {
        let unreadable = || Error::corrupt(path, "Unable to read header");
        let meta = bytes.get(..16).ok_or_else(unreadable)?;
        let method = AggregationMethod::from_code(be_u32(&meta[0..4])).ok_or_else(unreadable)?;
        let max_retention = be_u32(&meta[4..8]);
        let x_files_factor = f32::from_be_bytes(meta[8..12].try_into().expect("4 bytes"));
        if !(0.0..=1.0).contains(&x_files_factor) {
            return Err(unreadable());
        }
        let count = be_u32(&meta[12..16]);
        if count > MAX_ARCHIVES {
            return Err(Error::corrupt(
                path,
                format!("Unable to read header: {count} archives"),
            ));
        }
        let mut archives = Vec::with_capacity((count as usize).min(bytes.len() / 12));
        for i in 0..count as usize {
            let start = 16 + 12 * i;
            let entry = bytes.get(start..start + 12).ok_or_else(|| {
                Error::corrupt(path, format!("Unable to read archive{i} metadata"))
            })?;
            archives.push(ArchiveInfo {
                offset: be_u32(&entry[0..4]),
                seconds_per_point: be_u32(&entry[4..8]),
                points: be_u32(&entry[8..12]),
            });
        }
        let header = Header {
            aggregation_method: method,
            max_retention,
            x_files_factor,
            archives,
        };
        header.check_layout(file_len, path)?;
        Ok(header)
    }

    /// The structural checks whisper 1.1.10 does not make but every read and write relies on.
    fn check_layout(&self, file_len: u64, path: &Path) -> Result<()> {
        if self.archives.is_empty() {
            return Err(Error::corrupt(path, "Unable to read header: no archives"));
        }
        let mut expected_offset = self.size_bytes();
        for (i, a) in self.archives.iter().enumerate() {
            if a.seconds_per_point == 0 || a.points == 0 {
                return Err(Error::corrupt(
                    path,
                    format!("Unable to read archive{i} metadata: empty archive"),
                ));
            }
            if u64::from(a.offset) != expected_offset {
                return Err(Error::corrupt(
                    path,
                    format!(
                        "Unable to read archive{i} metadata: offset {} where {expected_offset} was expected",
                        a.offset
                    ),
                ));
            }
            expected_offset = a.end_offset();
        }
        if file_len < expected_offset {
            return Err(Error::corrupt(
                path,
                format!("Unable to read datapoints: file has {file_len} bytes, its header describes {expected_offset}"),
            ));
        }
        Ok(())
    }
}

/// Encodes one point.
pub fn encode_point(timestamp: u32, value: f64) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[0..4].copy_from_slice(&timestamp.to_be_bytes());
    out[4..12].copy_from_slice(&value.to_be_bytes());
    out
}

/// Decodes one point from 12 bytes.
pub fn decode_point(bytes: &[u8]) -> (u32, f64) {
    let ts = be_u32(&bytes[0..4]);
    let value = f64::from_be_bytes(bytes[4..12].try_into().expect("8 bytes"));
    (ts, value)
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Header {
        // 60:1440,300:2016,3600:26280 as in the reference inventory.
        let archives = vec![
            ArchiveInfo {
                offset: 52,
                seconds_per_point: 60,
                points: 1440,
            },
            ArchiveInfo {
                offset: 52 + 1440 * 12,
                seconds_per_point: 300,
                points: 2016,
            },
            ArchiveInfo {
                offset: 52 + 1440 * 12 + 2016 * 12,
                seconds_per_point: 3600,
                points: 26280,
            },
        ];
        Header {
            aggregation_method: AggregationMethod::Average,
            max_retention: 3600 * 26280,
            x_files_factor: 0.5,
            archives,
        }
    }

    #[test]
    fn header_bytes_match_reference() {
        let h = example();
        let hex: String = h.encode().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "0000000105a39a803f0000000000000300000034\
             0000003c000005a0000043b40000012c000007e0\
             0000a23400000e10000066a8"
        );
        assert_eq!(h.file_size(), 356_884);
    }

    #[test]
    fn parse_round_trips_and_checks_layout() {
        let h = example();
        let bytes = h.encode();
        let p = Path::new("t.wsp");
        assert_eq!(Header::parse(&bytes, 356_884, p).unwrap(), h);
        let short = Header::parse(&bytes, 356_883, p).unwrap_err();
        assert!(short.to_string().starts_with("Unable to read datapoints"));
        let e = Header::parse(&bytes[..30], 356_884, p).unwrap_err();
        assert_eq!(e.to_string(), "Unable to read archive1 metadata (t.wsp)");
        let e = Header::parse(&bytes[..10], 356_884, p).unwrap_err();
        assert_eq!(e.to_string(), "Unable to read header (t.wsp)");
    }

    #[test]
    fn absurd_archive_counts_are_refused_early() {
        let mut bytes = example().encode();
        bytes[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        let e = Header::parse(&bytes, 1 << 40, Path::new("t.wsp")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Unable to read header: 4294967295 archives (t.wsp)"
        );
    }

    #[test]
    fn bad_metadata_is_unreadable_header() {
        let p = Path::new("t.wsp");
        let mut bytes = example().encode();
        bytes[3] = 9;
        assert_eq!(
            Header::parse(&bytes, 1 << 20, p).unwrap_err().to_string(),
            "Unable to read header (t.wsp)"
        );
        let mut bytes = example().encode();
        bytes[8..12].copy_from_slice(&f32::NAN.to_be_bytes());
        assert!(Header::parse(&bytes, 1 << 20, p).is_err());
    }

    #[test]
    fn slot_offsets_wrap_like_python() {
        let a = ArchiveInfo {
            offset: 28,
            seconds_per_point: 60,
            points: 10,
        };
        assert_eq!(a.slot_offset(600, 600), 28);
        assert_eq!(a.slot_offset(600, 660), 40);
        assert_eq!(a.slot_offset(600, 540), 28 + 9 * 12);
        assert_eq!(a.slot_offset(600, 600 + 600), 28);
    }

    #[test]
    fn method_names_and_codes() {
        for m in AggregationMethod::ALL {
            assert_eq!(AggregationMethod::from_code(m.code()), Some(m));
            assert_eq!(m.name().parse::<AggregationMethod>().unwrap(), m);
        }
        assert!(AggregationMethod::from_code(0).is_none());
        assert_eq!(
            "Average"
                .parse::<AggregationMethod>()
                .unwrap_err()
                .to_string(),
            "Unrecognized aggregation method: Average"
        );
    }
}
