// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/**
 * @title IEvidenceAnchor
 * @notice Write-once anchoring of evidence batch roots (RFC 6962 Merkle roots) and their
 * confirmation by registered witness nodes in several jurisdictions.
 * @dev Anyone may anchor a root; a registrar (the contract owner, transferred in two steps)
 * registers and revokes witnesses; a witness confirms a root by its own transaction or by an
 * EIP-712 signature that anyone may relay. Nothing is ever overwritten or deleted: a witness
 * that is revoked keeps its record, with the time the revocation takes effect.
 */
interface IEvidenceAnchor {
    // ---------------------------------------------------------------- types

    /// @notice What the chain recorded when a root was anchored.
    /// @dev All fields are zero when the root is unknown.
    struct AnchorRecord {
        address submitter;
        uint64 timestamp;
        uint64 blockNumber;
    }

    /// @notice One witness's confirmation of a root.
    /// @dev `confirmedAt` is the block time of the confirming transaction, `observedAt` the time
    /// the witness says it saw the anchor (equal to `confirmedAt` for a direct confirmation).
    /// All fields are zero when the witness has not confirmed the root.
    struct ConfirmationRecord {
        address witness;
        bytes2 jurisdiction;
        uint64 confirmedAt;
        uint64 observedAt;
        bool bySignature;
    }

    /// @notice A registered witness node.
    /// @dev `jurisdiction` is an ISO 3166-1 alpha-2 code (two ASCII letters A-Z). The witness is
    /// active at time t when `registeredAt <= t` and (`revokedAt == 0` or `t < revokedAt`).
    /// All fields are zero for an address that was never added.
    struct WitnessRecord {
        address account;
        bytes2 jurisdiction;
        string operator;
        uint64 registeredAt;
        uint64 revokedAt;
    }

    // ---------------------------------------------------------------- errors

    /// @notice The root is zero, which never is a Merkle root.
    error EvidenceAnchor__ZeroRoot();
    /// @notice The leaf count is zero: a tree has at least one leaf.
    error EvidenceAnchor__ZeroLeafCount();
    /// @notice The root was anchored before, at block time `anchoredAt`.
    error EvidenceAnchor__AlreadyAnchored(bytes32 root, uint64 anchoredAt);
    /// @notice The root was never anchored.
    error EvidenceAnchor__UnknownRoot(bytes32 root);
    /// @notice The jurisdiction is not two uppercase ASCII letters A-Z.
    error EvidenceAnchor__InvalidJurisdiction(bytes2 code);
    /// @notice The operator name is empty.
    error EvidenceAnchor__EmptyOperator();
    /// @notice The address is the zero address.
    error EvidenceAnchor__ZeroAddress();
    /// @notice The witness was added before (possibly revoked since); addresses are never reused.
    error EvidenceAnchor__WitnessExists(address witness);
    /// @notice The account is not a registered witness.
    error EvidenceAnchor__NotAWitness(address account);
    /// @notice The witness's revocation took effect at `revokedAt`, at or before this block.
    error EvidenceAnchor__WitnessRevoked(address witness, uint64 revokedAt);
    /// @notice The witness is already revoked (effective at `revokedAt`).
    error EvidenceAnchor__WitnessAlreadyRevoked(address witness, uint64 revokedAt);
    /// @notice The revocation time is before the witness's registration, or out of range.
    error EvidenceAnchor__InvalidRevocationTime(uint64 effectiveAt);
    /// @notice The witness has already confirmed the root.
    error EvidenceAnchor__AlreadyConfirmed(bytes32 root, address witness);
    /// @notice The signature does not recover to `witness` for this chain and contract.
    error EvidenceAnchor__InvalidSignature(address witness);
    /// @notice The observation time is later than the block time plus the allowed clock skew.
    error EvidenceAnchor__ObservedInFuture(uint64 observedAt);

    // ---------------------------------------------------------------- events

    /// @notice `root` was anchored by `submitter` at block time `timestamp`.
    /// @param leafCount number of leaves of the tree whose root this is (kept in the log only).
    event Anchored(bytes32 indexed root, address indexed submitter, uint32 leafCount, uint64 timestamp);

    /// @notice The registrar added `witness`, active from `registeredAt`.
    event WitnessAdded(address indexed witness, bytes2 jurisdiction, string operator, uint64 registeredAt);

    /// @notice The registrar revoked `witness`, effective from `effectiveAt` (exclusive end of activity).
    event WitnessRevoked(address indexed witness, uint64 effectiveAt);

    /// @notice `witness` (from `jurisdiction`) confirmed `root`, having observed it at `observedAt`.
    /// @param bySignature true when relayed as an EIP-712 signature, false for the witness's own transaction.
    event Confirmed(
        bytes32 indexed root, address indexed witness, bytes2 jurisdiction, uint64 observedAt, bool bySignature
    );

    // ---------------------------------------------------------------- anchoring

    /**
     * @notice Anchors `root`, a Merkle root over `leafCount` leaves. Open to anyone; write-once.
     * @dev Stores one slot (submitter, block time, block number); the cost does not depend on
     * `leafCount`, which only goes to the {Anchored} event.
     * Reverts with {EvidenceAnchor__ZeroRoot}, {EvidenceAnchor__ZeroLeafCount} or
     * {EvidenceAnchor__AlreadyAnchored}.
     */
    function anchor(bytes32 root, uint32 leafCount) external;

    // ---------------------------------------------------------------- witnesses (registrar)

    /**
     * @notice Registers `witness`, run by `operator` in `jurisdiction`, active from now.
     * @dev Only the registrar. Reverts with {EvidenceAnchor__ZeroAddress},
     * {EvidenceAnchor__InvalidJurisdiction}, {EvidenceAnchor__EmptyOperator} or
     * {EvidenceAnchor__WitnessExists} (also for a revoked witness: addresses are not reused).
     * @param jurisdiction ISO 3166-1 alpha-2 code as two uppercase ASCII bytes, e.g. "DE".
     */
    function addWitness(address witness, bytes2 jurisdiction, string calldata operator) external;

    /**
     * @notice Revokes `witness` from `effectiveAt` on (0 means the current block time).
     * @dev Only the registrar. `effectiveAt` may lie in the past (e.g. since a key compromise)
     * but not before the registration, or in the future (a scheduled end of service).
     * Confirmations already recorded stay; a verifier judges them by this period.
     * Reverts with {EvidenceAnchor__NotAWitness}, {EvidenceAnchor__WitnessAlreadyRevoked} or
     * {EvidenceAnchor__InvalidRevocationTime}.
     */
    function revokeWitness(address witness, uint64 effectiveAt) external;

    // ---------------------------------------------------------------- confirmations

    /**
     * @notice The caller, an active witness, confirms `root`; the observation time is the block time.
     * @dev Reverts with {EvidenceAnchor__UnknownRoot}, {EvidenceAnchor__NotAWitness},
     * {EvidenceAnchor__WitnessRevoked} or {EvidenceAnchor__AlreadyConfirmed}.
     */
    function confirm(bytes32 root) external;

    /**
     * @notice Records `witness`'s confirmation of `root`, signed with EIP-712 and relayed by anyone.
     * @dev Typed struct `Confirmation(bytes32 root,address witness,uint64 observedAt)` in domain
     * (name "EvidenceAnchor", version "1", chain id, this contract). Checks, in order:
     * {EvidenceAnchor__UnknownRoot}, {EvidenceAnchor__ObservedInFuture} (more than 15 minutes
     * after the block time), {EvidenceAnchor__InvalidSignature} (the signer must be `witness`;
     * malleable high-s signatures are rejected), {EvidenceAnchor__NotAWitness},
     * {EvidenceAnchor__WitnessRevoked} (activity is judged at the block time) and
     * {EvidenceAnchor__AlreadyConfirmed}, which also makes a replayed signature fail.
     * @param signature 65 bytes r || s || v.
     */
    function confirmBySignature(bytes32 root, address witness, uint64 observedAt, bytes calldata signature)
        external;

    // ---------------------------------------------------------------- views

    /// @notice The registrar: the account allowed to add and revoke witnesses (the owner).
    function registrar() external view returns (address);

    /// @notice The anchor record of `root`; all zero when the root is unknown.
    function anchorOf(bytes32 root) external view returns (AnchorRecord memory);

    /// @notice Whether `root` was anchored.
    function isAnchored(bytes32 root) external view returns (bool);

    /// @notice Every confirmation of `root`, in the order witnesses were added.
    function confirmationsOf(bytes32 root) external view returns (ConfirmationRecord[] memory);

    /// @notice `witness`'s confirmation of `root`; all zero when there is none.
    function confirmationOf(bytes32 root, address witness) external view returns (ConfirmationRecord memory);

    /// @notice The record of `account`; all zero when it was never added.
    function witnessOf(address account) external view returns (WitnessRecord memory);

    /// @notice Every witness ever added (revoked ones included), in the order they were added.
    function witnesses() external view returns (WitnessRecord[] memory);

    /// @notice Number of witnesses ever added.
    function witnessCount() external view returns (uint256);

    /// @notice The EIP-712 digest a witness signs to confirm `root` observed at `observedAt`.
    function confirmationDigest(bytes32 root, address witness, uint64 observedAt) external view returns (bytes32);

    /// @notice Version of this contract's interface and behaviour.
    function version() external pure returns (string memory);
}
