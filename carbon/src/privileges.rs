//! The USER setting: carbon-cache started as root gives up root for USER once its listeners are
//! bound and its pid and log files created, as twistd does for carbon 1.1.10 (`initgroups`,
//! `setgid`, `setuid`). Directories the daemon creates before that (LOG_DIR, LOCAL_DATA_DIR)
//! are given to USER so that it can write in them.
//!
//! Started as another user, the reference fails in `setgid` with a traceback; we refuse at start
//! with the reason. Started as USER itself, nothing changes (the reference warns and continues).

use std::path::Path;

use nix::unistd::{Gid, Uid, User};

/// Why USER cannot be applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// USER names no account.
    #[error("USER = {user} in carbon.conf, but there is no such user")]
    NoSuchUser {
        /// USER.
        user: String,
    },
    /// The account database could not be read.
    #[error("cannot look up USER = {user}: {source}")]
    Lookup {
        /// USER.
        user: String,
        /// Why.
        source: nix::Error,
    },
    /// USER is another user and the daemon is not root: it cannot switch.
    #[error(
        "USER = {user} in carbon.conf, but carbon-cache runs as uid {uid}, not root, and cannot \
         switch users: start it as root or as {user}, or leave USER empty"
    )]
    NotRoot {
        /// USER.
        user: String,
        /// The uid carbon-cache runs as.
        uid: u32,
    },
    /// A system call failed while switching.
    #[error("cannot switch to USER = {user} ({what}): {source}")]
    Switch {
        /// USER.
        user: String,
        /// Which step.
        what: &'static str,
        /// Why.
        source: nix::Error,
    },
}

/// What USER asks for, decided at start (before anything is bound or written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// USER is empty, or names the user carbon-cache already runs as.
    Stay,
    /// Root switches to USER after binding.
    Switch {
        /// USER.
        user: String,
        /// Its uid.
        uid: u32,
        /// Its primary gid.
        gid: u32,
    },
}

/// Decides what USER means for a process running as `current` (the real uid): an error when it
/// names no account, or another account while not root.
pub fn plan(user: &str, current: u32) -> Result<Plan, Error> {
    if user.is_empty() {
        return Ok(Plan::Stay);
    }
    let account = User::from_name(user)
        .map_err(|source| Error::Lookup {
            user: user.to_owned(),
            source,
        })?
        .ok_or_else(|| Error::NoSuchUser {
            user: user.to_owned(),
        })?;
    decide(user, account.uid.as_raw(), account.gid.as_raw(), current)
}

fn decide(user: &str, uid: u32, gid: u32, current: u32) -> Result<Plan, Error> {
    if uid == current {
        Ok(Plan::Stay)
    } else if current == 0 {
        Ok(Plan::Switch {
            user: user.to_owned(),
            uid,
            gid,
        })
    } else {
        Err(Error::NotRoot {
            user: user.to_owned(),
            uid: current,
        })
    }
}

/// The real uid of this process.
pub fn current_uid() -> u32 {
    Uid::current().as_raw()
}

impl Plan {
    /// Gives `dir` to USER when switching (a directory created as root before the switch).
    pub fn hand_over(&self, dir: &Path) -> Result<(), Error> {
        let Plan::Switch { user, uid, gid } = self else {
            return Ok(());
        };
        nix::unistd::chown(dir, Some(Uid::from_raw(*uid)), Some(Gid::from_raw(*gid))).map_err(
            |source| Error::Switch {
                user: user.clone(),
                what: "chown",
                source,
            },
        )
    }

    /// Switches the whole process (every thread: glibc's `setuid` applies to all of them) to
    /// USER, its groups included. Nothing to do for [`Plan::Stay`].
    pub fn apply(&self) -> Result<(), Error> {
        let Plan::Switch { user, uid, gid } = self else {
            return Ok(());
        };
        let err = |what| {
            move |source| Error::Switch {
                user: user.clone(),
                what,
                source,
            }
        };
        let name = std::ffi::CString::new(user.as_str())
            .map_err(|_| Error::NoSuchUser { user: user.clone() })?;
        let gid = Gid::from_raw(*gid);
        nix::unistd::initgroups(&name, gid).map_err(err("initgroups"))?;
        nix::unistd::setgid(gid).map_err(err("setgid"))?;
        nix::unistd::setuid(Uid::from_raw(*uid)).map_err(err("setuid"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_user_changes_nothing() {
        assert_eq!(plan("", 1000).unwrap(), Plan::Stay);
        assert_eq!(plan("", 0).unwrap(), Plan::Stay);
    }

    #[test]
    fn root_switches_to_another_user() {
        let p = decide("carbon", 999, 998, 0).unwrap();
        assert_eq!(
            p,
            Plan::Switch {
                user: "carbon".into(),
                uid: 999,
                gid: 998
            }
        );
    }

    #[test]
    fn the_same_user_stays() {
        assert_eq!(decide("alice", 1000, 1000, 1000).unwrap(), Plan::Stay);
        assert_eq!(decide("root", 0, 0, 0).unwrap(), Plan::Stay);
    }

    #[test]
    fn another_user_without_root_is_refused() {
        let e = decide("carbon", 999, 998, 1000).unwrap_err();
        assert!(matches!(e, Error::NotRoot { uid: 1000, .. }));
        assert!(e.to_string().contains("USER = carbon"), "{e}");
    }

    #[test]
    fn an_unknown_user_is_refused() {
        let e = plan("no-such-user-carbon-test", current_uid()).unwrap_err();
        assert!(matches!(e, Error::NoSuchUser { .. }), "{e}");
    }

    #[test]
    fn the_current_user_by_name_stays() {
        let me = User::from_uid(Uid::current()).unwrap().unwrap();
        assert_eq!(plan(&me.name, current_uid()).unwrap(), Plan::Stay);
        assert_eq!(Plan::Stay.apply().ok(), Some(()));
    }
}
