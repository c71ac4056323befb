//! One instance of the plugin and the one way into it: a metered call of a
//! callback, which records its fuel and host calls and turns a failure into a
//! [`HostError`].
//!
//! Each call gets the plugin's whole fuel limit; what it burns is the cost figure
//! of that call. A callback the module does not export is skipped, as Envoy skips
//! it.

use wasmtime::{Instance, Store, Val};

use super::callback::{CallRecord, Callback};
use super::error::{HostError, HostResult};
use super::state::HostState;
use super::trap::classify;

/// A plugin instance with its store.
pub struct Guest {
    /// The store, whose data is the host's state.
    pub store: Store<HostState>,
    /// The instance.
    pub instance: Instance,
}

impl Guest {
    /// Whether the module exports `name`.
    pub fn exports(&mut self, name: &str) -> bool {
        self.instance.get_export(&mut self.store, name).is_some()
    }

    /// Calls `callback` for `context_id` with `args` (all `i32`); returns its first
    /// result, or `None` when the callback has no result or is not exported.
    pub fn call(
        &mut self,
        callback: Callback,
        export: &str,
        context_id: u32,
        args: &[u32],
    ) -> HostResult<Option<u32>> {
        let Some(func) = self.instance.get_func(&mut self.store, export) else {
            return Ok(None);
        };
        let params: Vec<Val> = args
            .iter()
            .map(|arg| Val::I32(i32::from_ne_bytes(arg.to_ne_bytes())))
            .collect();
        let mut results = vec![Val::I32(0); func.ty(&self.store).results().len()];
        let limit = self.store.data().settings.fuel_limit;
        let log_mark = self.store.data().logs.len();
        self.store
            .set_fuel(limit)
            .map_err(|e| HostError::Instantiate {
                reason: format!("setting fuel: {e:#}"),
            })?;
        let state = self.store.data_mut();
        state.running = Some((callback, context_id));
        state.effective = None;
        state.host_calls.clear();

        let outcome = func.call(&mut self.store, &params, &mut results);

        let remaining = self.store.get_fuel().unwrap_or(0);
        let state = self.store.data_mut();
        state.running = None;
        state.effective = None;
        let host_calls_by_import = std::mem::take(&mut state.host_calls);
        state.calls.push(CallRecord {
            callback,
            context_id,
            fuel: limit.saturating_sub(remaining),
            host_calls: host_calls_by_import
                .values()
                .fold(0, |sum, count| sum.saturating_add(*count)),
            host_calls_by_import,
        });
        match outcome {
            Ok(()) => Ok(results
                .first()
                .and_then(Val::i32)
                .map(|v| u32::from_ne_bytes(v.to_ne_bytes()))),
            Err(error) => {
                let logs = state.logs.get(log_mark..).unwrap_or_default();
                Err(classify(&error, callback, logs, limit))
            }
        }
    }
}
