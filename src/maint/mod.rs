//! Node maintenance: what a drain, a role change, a label change or a rebalance would do,
//! computed from live state before anything is written. Pure functions over the domain.

pub mod check;
pub mod constraints;
