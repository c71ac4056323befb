//! Shared data and shared queues, with the semantics of Envoy's host.
//!
//! Envoy shares both between every VM with the same `vm_id` in the process. Here
//! they belong to a [`Plugin`](super::Plugin): every VM started from it shares
//! them, and nothing is shared between plugins, so tests stay independent.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::abi::Status;

/// A value in shared data with its compare-and-swap token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedValue {
    /// The bytes.
    pub value: Vec<u8>,
    /// The CAS token; never 0.
    pub cas: u32,
}

#[derive(Debug)]
struct Queue {
    vm: u64,
    name: String,
    owner_context: u32,
    items: VecDeque<Vec<u8>>,
}

/// A queue that received data, to be announced to its owner by `on_queue_ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueReady {
    /// The VM that registered the queue.
    pub vm: u64,
    /// The context that registered it.
    pub context_id: u32,
    /// Its token.
    pub token: u32,
}

#[derive(Debug, Default)]
struct Inner {
    data: BTreeMap<String, SharedValue>,
    last_cas: u32,
    queues: BTreeMap<u32, Queue>,
    last_vm: u64,
    ready: Vec<QueueReady>,
}

/// Shared data and queues of one plugin.
#[derive(Debug, Clone, Default)]
pub struct SharedStore {
    inner: Arc<Mutex<Inner>>,
}

impl SharedStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A serial number for a new VM.
    pub fn next_vm(&self) -> u64 {
        let mut inner = self.lock();
        inner.last_vm = inner.last_vm.saturating_add(1);
        inner.last_vm
    }

    /// `proxy_get_shared_data`.
    pub fn get(&self, key: &str) -> Option<SharedValue> {
        self.lock().data.get(key).cloned()
    }

    /// `proxy_set_shared_data`: a non-zero `cas` must match the current token.
    pub fn set(&self, key: &str, value: &[u8], cas: u32) -> Status {
        let mut inner = self.lock();
        if let Some(current) = inner.data.get(key)
            && cas != 0
            && cas != current.cas
        {
            return Status::CasMismatch;
        }
        inner.last_cas = match inner.last_cas.wrapping_add(1) {
            0 => 1,
            next => next,
        };
        let cas = inner.last_cas;
        inner.data.insert(
            key.to_owned(),
            SharedValue {
                value: value.to_vec(),
                cas,
            },
        );
        Status::Ok
    }

    /// `proxy_register_shared_queue`: registering a name again returns its token.
    pub fn register_queue(&self, vm: u64, name: &str, owner_context: u32) -> u32 {
        let mut inner = self.lock();
        if let Some((token, queue)) = inner
            .queues
            .iter_mut()
            .find(|(_, q)| q.vm == vm && q.name == name)
        {
            queue.owner_context = owner_context;
            return *token;
        }
        let token = inner
            .queues
            .keys()
            .next_back()
            .map_or(1, |last| last.saturating_add(1));
        inner.queues.insert(
            token,
            Queue {
                vm,
                name: name.to_owned(),
                owner_context,
                items: VecDeque::new(),
            },
        );
        token
    }

    /// `proxy_resolve_shared_queue`. Every VM of a plugin has the same `vm_id`, so
    /// any queue of that name resolves when `vm_id` is the plugin's.
    pub fn resolve_queue(&self, name: &str) -> Option<u32> {
        self.lock()
            .queues
            .iter()
            .find(|(_, q)| q.name == name)
            .map(|(token, _)| *token)
    }

    /// `proxy_enqueue_shared_queue`.
    pub fn enqueue(&self, token: u32, item: &[u8]) -> Status {
        let mut inner = self.lock();
        let Some(queue) = inner.queues.get_mut(&token) else {
            return Status::NotFound;
        };
        queue.items.push_back(item.to_vec());
        let ready = QueueReady {
            vm: queue.vm,
            context_id: queue.owner_context,
            token,
        };
        inner.ready.push(ready);
        Status::Ok
    }

    /// `proxy_dequeue_shared_queue`.
    pub fn dequeue(&self, token: u32) -> Result<Vec<u8>, Status> {
        let mut inner = self.lock();
        let queue = inner.queues.get_mut(&token).ok_or(Status::NotFound)?;
        queue.items.pop_front().ok_or(Status::Empty)
    }

    /// Takes the pending `on_queue_ready` notifications of VM `vm`.
    pub fn take_ready(&self, vm: u64) -> Vec<QueueReady> {
        let mut inner = self.lock();
        let (mine, others) = inner.ready.drain(..).partition(|r| r.vm == vm);
        inner.ready = others;
        mine
    }
}
