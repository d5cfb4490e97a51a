//! The two system calls std does not wrap: `posix_fallocate` and `posix_fadvise`.
//!
//! This is the only module with `unsafe`; both calls take a descriptor we own for the duration
//! of the call and plain integers, so there is no memory to get wrong.
#![allow(unsafe_code)]

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
