//! The C library calls std does not wrap: `posix_fallocate` and `posix_fadvise` for the files,
//! and, for the command-line tools, `localtime_r` + `strftime` (Python's `time.strftime` and
//! `time.ctime` are exactly these) and restoring the default `SIGPIPE` action.
//!
//! This is the only module with `unsafe`. The file calls take a descriptor we own for the
//! duration of the call and plain integers; the time calls write only into buffers owned here
//! and sized in the call.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// Allocates `len` bytes from `offset` on disk (zero-filled), as whisper's `--fallocate`.
pub(crate) fn fallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return Err(io::Error::from_raw_os_error(libc::EFBIG));
    };
    // SAFETY: the descriptor is valid while `file` is borrowed; the call touches no memory.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), offset, len) };
    if rc == 0 {
        Ok(())
    } else {
        // posix_fallocate returns the error number instead of setting errno.
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Tells the kernel access will be random, so it does not read ahead (WHISPER_FADVISE_RANDOM).
pub(crate) fn fadvise_random(file: &File) {
    // SAFETY: as above. The advice is a hint; its failure changes nothing we rely on.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM);
    }
}

/// `strftime(format, localtime(t))` in the C locale and the time zone of `TZ`, as Python's
/// `time.strftime(format, time.localtime(t))` computes it (unknown conversions are copied as
/// they are). `None` if `t` cannot be converted or `format` holds a NUL.
pub(crate) fn local_strftime(format: &str, t: i64) -> Option<String> {
    let c_format = CString::new(format).ok()?;
    let t = libc::time_t::try_from(t).ok()?;
    // SAFETY: `tm` is plain data (integers and a pointer the C library sets); all-zero is valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals for the duration of the call.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return None;
    }
    // Python's loop: a result of 0 bytes is "buffer too small" until the buffer is 256 times
    // the format's length, then it is taken as an empty result.
    let limit = 256 * format.len();
    let mut size = 1024usize;
    loop {
        let mut buf = vec![0u8; size];
        // SAFETY: `buf` has `size` writable bytes; the format is NUL-terminated; `tm` was filled
        // by localtime_r above (its `tm_zone` points to the C library's static zone names).
        let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), size, c_format.as_ptr(), &tm) };
        if n > 0 || size >= limit {
            buf.truncate(n);
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        size *= 2;
    }
}

/// Restores the default action of `SIGPIPE` (Rust starts with it ignored), so a tool writing to
/// a closed pipe ends silently as the reference scripts do (`signal(SIGPIPE, SIG_DFL)`).
pub(crate) fn default_sigpipe() {
    // SAFETY: setting a signal's disposition to the default touches no memory of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
