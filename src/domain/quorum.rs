//! Raft quorum maths for the managers of a swarm.

use super::{Node, Reachability};

/// How healthy the managers' Raft group is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    /// Managers in the swarm.
    pub total: usize,
    /// Managers the swarm reports reachable.
    pub reachable: usize,
    /// Managers needed for a majority: total / 2 + 1.
    pub majority: usize,
    /// How many more manager failures the swarm survives (0 = the next one loses quorum).
    pub tolerates: usize,
    /// Whether a majority is reachable.
    pub has_quorum: bool,
    /// An even number of managers adds no fault tolerance over one fewer.
    pub even: bool,
}

impl Quorum {
    pub fn new(total: usize, reachable: usize) -> Self {
        let majority = total / 2 + 1;
        let has_quorum = total > 0 && reachable >= majority;
        Self {
            total,
            reachable,
            majority,
            tolerates: reachable.saturating_sub(majority),
            has_quorum,
            even: total > 0 && total.is_multiple_of(2),
        }
    }

    /// From the node list: managers and their reachability.
    pub fn from_nodes(nodes: &[Node]) -> Self {
        let managers = nodes.iter().filter_map(|n| n.manager.as_ref());
        let (mut total, mut reachable) = (0, 0);
        for m in managers {
            total += 1;
            if m.reachability == Reachability::Reachable {
                reachable += 1;
            }
        }
        Self::new(total, reachable)
    }

    /// A multi-manager swarm that can no longer lose a manager.
    pub fn at_risk(&self) -> bool {
        self.total > 1 && self.tolerates == 0
    }

    /// A deliberate single-manager swarm (no fault tolerance by design).
    pub fn single(&self) -> bool {
        self.total == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_managers() {
        let q = Quorum::new(3, 3);
        assert_eq!(
            (q.majority, q.tolerates, q.has_quorum, q.even),
            (2, 1, true, false)
        );
        let q = Quorum::new(3, 2);
        assert_eq!((q.majority, q.tolerates, q.has_quorum), (2, 0, true));
        assert!(q.at_risk());
        let q = Quorum::new(3, 1);
        assert!(!q.has_quorum);
        assert_eq!(q.tolerates, 0);
    }

    #[test]
    fn even_counts_add_nothing() {
        let q = Quorum::new(4, 4);
        assert_eq!((q.majority, q.tolerates, q.even), (3, 1, true));
        assert_eq!(Quorum::new(3, 3).tolerates, q.tolerates);
        let q = Quorum::new(2, 2);
        assert_eq!((q.majority, q.tolerates, q.even), (2, 0, true));
        assert!(q.at_risk());
    }

    #[test]
    fn five_and_seven() {
        assert_eq!(Quorum::new(5, 5).tolerates, 2);
        assert_eq!(Quorum::new(5, 4).tolerates, 1);
        assert_eq!(Quorum::new(7, 7).tolerates, 3);
        assert!(!Quorum::new(7, 3).has_quorum);
    }

    #[test]
    fn single_manager_is_not_at_risk() {
        let q = Quorum::new(1, 1);
        assert!(q.single());
        assert!(!q.at_risk());
        assert!(q.has_quorum);
        let q = Quorum::new(0, 0);
        assert!(!q.has_quorum);
    }
}
