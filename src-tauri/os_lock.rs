//! Locks the vault when the computer goes to sleep or the screen locks.
//!
//! Linux: logind's `PrepareForSleep(true)` and a session's `Lock`, on the system bus, and
//! the freedesktop screensaver's `ActiveChanged(true)` on the session bus. The match rules
//! name no sender, so anyone on the bus can make Keepsake lock early — harmless, since
//! locking is the safe direction. macOS (NSWorkspace) and Windows (WTS session change)
//! hooks are not written yet; idle auto-lock covers them meanwhile.

use tauri::{AppHandle, Runtime};

#[cfg(target_os = "linux")]
pub fn watch<R: Runtime>(app: &AppHandle<R>) {
    use zbus::blocking::{Connection, MessageIterator};
    use zbus::message::Type;
    use zbus::{MatchRule, Message};

    fn listen<R: Runtime>(
        app: AppHandle<R>,
        connect: fn() -> zbus::Result<Connection>,
        interface: &'static str,
        member: &'static str,
        locks: fn(&Message) -> bool,
    ) {
        std::thread::spawn(move || {
            let rule = MatchRule::builder()
                .msg_type(Type::Signal)
                .interface(interface)
                .and_then(|b| b.member(member))
                .map(|b| b.build());
            let (Ok(connection), Ok(rule)) = (connect(), rule) else {
                return; // no such bus here (a server, a container): idle auto-lock remains
            };
            let Ok(messages) = MessageIterator::for_match_rule(rule, &connection, Some(16)) else {
                return;
            };
            for message in messages.flatten() {
                if locks(&message) && crate::state::lock_on_sleep(&app) {
                    crate::background::lock(&app);
                }
            }
        });
    }

    let is_true = |m: &Message| m.body().deserialize::<bool>().unwrap_or(false);
    listen(
        app.clone(),
        Connection::system,
        "org.freedesktop.login1.Manager",
        "PrepareForSleep",
        is_true,
    );
    listen(
        app.clone(),
        Connection::system,
        "org.freedesktop.login1.Session",
        "Lock",
        |_| true,
    );
    listen(
        app.clone(),
        Connection::session,
        "org.freedesktop.ScreenSaver",
        "ActiveChanged",
        is_true,
    );
}

#[cfg(not(target_os = "linux"))]
pub fn watch<R: Runtime>(_app: &AppHandle<R>) {}
