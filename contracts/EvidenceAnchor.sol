// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IEvidenceAnchor} from "./IEvidenceAnchor.sol";

/**
 * @title EvidenceAnchor
 * @notice See {IEvidenceAnchor}.
 * @dev Storage is laid out for gas: one slot per anchor, one per confirmation, one per witness
 * (plus its operator string). Confirmations of a root are enumerated in views by walking the
 * witness list, so no per-root array is kept. The registrar is the {Ownable2Step} owner.
 */
contract EvidenceAnchor is IEvidenceAnchor, Ownable2Step, EIP712 {
    /// @dev One slot: 160 + 40 + 56 bits. uint40 seconds last until the year 36812 and uint56
    /// block numbers for 2^56 blocks, far beyond any chain's life.
    struct Anchor {
        address submitter;
        uint40 timestamp;
        uint56 blockNumber;
    }

    /// @dev One slot: 16 + 40 + 40 bits. `jurisdiction` is never zero for a witness that exists.
    struct Witness {
        bytes2 jurisdiction;
        uint40 registeredAt;
        uint40 revokedAt;
    }

    /// @dev One slot: 64 + 64 + 8 bits. `kind` is 0 (none), 1 (direct) or 2 (signature); a
    /// non-zero kind is also the "already confirmed" check.
    struct Confirmation {
        uint64 confirmedAt;
        uint64 observedAt;
        uint8 kind;
    }

    uint8 private constant KIND_NONE = 0;
    uint8 private constant KIND_DIRECT = 1;
    uint8 private constant KIND_SIGNATURE = 2;

    /// @dev A witness's clock may run ahead of the block producer's; beyond this an observation
    /// time is refused as implausible.
    uint64 private constant MAX_CLOCK_SKEW = 15 minutes;

    /// @dev EIP-712 typeHash of `Confirmation(bytes32 root,address witness,uint64 observedAt)`.
    bytes32 private constant CONFIRMATION_TYPEHASH =
        keccak256("Confirmation(bytes32 root,address witness,uint64 observedAt)");

    string private constant VERSION = "1.0.0";

    mapping(bytes32 root => Anchor) private _anchors;
    mapping(address account => Witness) private _witnesses;
    mapping(address account => string) private _operators;
    address[] private _witnessList;
    mapping(bytes32 root => mapping(address witness => Confirmation)) private _confirmations;

    /// @notice Deploys the contract with the deployer as registrar.
    constructor() Ownable(msg.sender) EIP712("EvidenceAnchor", "1") {}

    // ---------------------------------------------------------------- anchoring

    /// @inheritdoc IEvidenceAnchor
    function anchor(bytes32 root, uint32 leafCount) external {
        if (root == bytes32(0)) revert EvidenceAnchor__ZeroRoot();
        if (leafCount == 0) revert EvidenceAnchor__ZeroLeafCount();
        Anchor storage existing = _anchors[root];
        if (existing.submitter != address(0)) {
            revert EvidenceAnchor__AlreadyAnchored(root, existing.timestamp);
        }
        _anchors[root] = Anchor({
            submitter: msg.sender,
            timestamp: uint40(block.timestamp),
            blockNumber: uint56(block.number)
        });
        emit Anchored(root, msg.sender, leafCount, uint64(block.timestamp));
    }

    // ---------------------------------------------------------------- witnesses (registrar)

    /// @inheritdoc IEvidenceAnchor
    function addWitness(address witness, bytes2 jurisdiction, string calldata operator) external onlyOwner {
        if (witness == address(0)) revert EvidenceAnchor__ZeroAddress();
        if (!_isAlpha2(jurisdiction)) revert EvidenceAnchor__InvalidJurisdiction(jurisdiction);
        if (bytes(operator).length == 0) revert EvidenceAnchor__EmptyOperator();
        if (_witnesses[witness].jurisdiction != bytes2(0)) revert EvidenceAnchor__WitnessExists(witness);
        _witnesses[witness] =
            Witness({jurisdiction: jurisdiction, registeredAt: uint40(block.timestamp), revokedAt: 0});
        _operators[witness] = operator;
        _witnessList.push(witness);
        emit WitnessAdded(witness, jurisdiction, operator, uint64(block.timestamp));
    }

    /// @inheritdoc IEvidenceAnchor
    function revokeWitness(address witness, uint64 effectiveAt) external onlyOwner {
        Witness storage record = _witnesses[witness];
        if (record.jurisdiction == bytes2(0)) revert EvidenceAnchor__NotAWitness(witness);
        if (record.revokedAt != 0) revert EvidenceAnchor__WitnessAlreadyRevoked(witness, record.revokedAt);
        uint64 effective = effectiveAt == 0 ? uint64(block.timestamp) : effectiveAt;
        if (effective < record.registeredAt || effective > type(uint40).max) {
            revert EvidenceAnchor__InvalidRevocationTime(effectiveAt);
        }
        record.revokedAt = uint40(effective);
        emit WitnessRevoked(witness, effective);
    }

    // ---------------------------------------------------------------- confirmations

    /// @inheritdoc IEvidenceAnchor
    function confirm(bytes32 root) external {
        if (_anchors[root].submitter == address(0)) revert EvidenceAnchor__UnknownRoot(root);
        _record(root, msg.sender, uint64(block.timestamp), KIND_DIRECT);
    }

    /// @inheritdoc IEvidenceAnchor
    function confirmBySignature(bytes32 root, address witness, uint64 observedAt, bytes calldata signature)
        external
    {
        if (_anchors[root].submitter == address(0)) revert EvidenceAnchor__UnknownRoot(root);
        if (observedAt > block.timestamp + MAX_CLOCK_SKEW) revert EvidenceAnchor__ObservedInFuture(observedAt);
        (address signer, ECDSA.RecoverError error,) =
            ECDSA.tryRecover(_confirmationDigest(root, witness, observedAt), signature);
        if (error != ECDSA.RecoverError.NoError || signer != witness) {
            revert EvidenceAnchor__InvalidSignature(witness);
        }
        _record(root, witness, observedAt, KIND_SIGNATURE);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IEvidenceAnchor
    function registrar() external view returns (address) {
        return owner();
    }

    /// @inheritdoc IEvidenceAnchor
    function anchorOf(bytes32 root) external view returns (AnchorRecord memory) {
        Anchor storage record = _anchors[root];
        return AnchorRecord({
            submitter: record.submitter,
            timestamp: record.timestamp,
            blockNumber: record.blockNumber
        });
    }

    /// @inheritdoc IEvidenceAnchor
    function isAnchored(bytes32 root) external view returns (bool) {
        return _anchors[root].submitter != address(0);
    }

    /// @inheritdoc IEvidenceAnchor
    function confirmationsOf(bytes32 root) external view returns (ConfirmationRecord[] memory) {
        mapping(address => Confirmation) storage byWitness = _confirmations[root];
        uint256 total = _witnessList.length;
        uint256 found = 0;
        for (uint256 i = 0; i < total; ++i) {
            if (byWitness[_witnessList[i]].kind != KIND_NONE) ++found;
        }
        ConfirmationRecord[] memory records = new ConfirmationRecord[](found);
        uint256 next = 0;
        for (uint256 i = 0; i < total && next < found; ++i) {
            address witness = _witnessList[i];
            if (byWitness[witness].kind != KIND_NONE) {
                records[next] = _confirmationRecord(root, witness);
                ++next;
            }
        }
        return records;
    }

    /// @inheritdoc IEvidenceAnchor
    function confirmationOf(bytes32 root, address witness) external view returns (ConfirmationRecord memory) {
        return _confirmationRecord(root, witness);
    }

    /// @inheritdoc IEvidenceAnchor
    function witnessOf(address account) external view returns (WitnessRecord memory) {
        return _witnessRecord(account);
    }

    /// @inheritdoc IEvidenceAnchor
    function witnesses() external view returns (WitnessRecord[] memory) {
        uint256 total = _witnessList.length;
        WitnessRecord[] memory records = new WitnessRecord[](total);
        for (uint256 i = 0; i < total; ++i) {
            records[i] = _witnessRecord(_witnessList[i]);
        }
        return records;
    }

    /// @inheritdoc IEvidenceAnchor
    function witnessCount() external view returns (uint256) {
        return _witnessList.length;
    }

    /// @inheritdoc IEvidenceAnchor
    function confirmationDigest(bytes32 root, address witness, uint64 observedAt) external view returns (bytes32) {
        return _confirmationDigest(root, witness, observedAt);
    }

    /// @inheritdoc IEvidenceAnchor
    function version() external pure returns (string memory) {
        return VERSION;
    }

    // ---------------------------------------------------------------- internals

    /// @dev Checks that `witness` is active now and has not confirmed `root`, then stores the
    /// confirmation and emits {Confirmed}. The root is checked by the caller.
    function _record(bytes32 root, address witness, uint64 observedAt, uint8 kind) private {
        Witness storage record = _witnesses[witness];
        bytes2 jurisdiction = record.jurisdiction;
        if (jurisdiction == bytes2(0)) revert EvidenceAnchor__NotAWitness(witness);
        uint40 revokedAt = record.revokedAt;
        if (revokedAt != 0 && block.timestamp >= revokedAt) {
            revert EvidenceAnchor__WitnessRevoked(witness, revokedAt);
        }
        Confirmation storage slot = _confirmations[root][witness];
        if (slot.kind != KIND_NONE) revert EvidenceAnchor__AlreadyConfirmed(root, witness);
        _confirmations[root][witness] =
            Confirmation({confirmedAt: uint64(block.timestamp), observedAt: observedAt, kind: kind});
        emit Confirmed(root, witness, jurisdiction, observedAt, kind == KIND_SIGNATURE);
    }

    function _confirmationDigest(bytes32 root, address witness, uint64 observedAt) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CONFIRMATION_TYPEHASH, root, witness, observedAt)));
    }

    function _confirmationRecord(bytes32 root, address witness) private view returns (ConfirmationRecord memory) {
        Confirmation storage slot = _confirmations[root][witness];
        if (slot.kind == KIND_NONE) {
            return ConfirmationRecord(address(0), bytes2(0), 0, 0, false);
        }
        return ConfirmationRecord({
            witness: witness,
            jurisdiction: _witnesses[witness].jurisdiction,
            confirmedAt: slot.confirmedAt,
            observedAt: slot.observedAt,
            bySignature: slot.kind == KIND_SIGNATURE
        });
    }

    function _witnessRecord(address account) private view returns (WitnessRecord memory) {
        Witness storage record = _witnesses[account];
        if (record.jurisdiction == bytes2(0)) {
            return WitnessRecord(address(0), bytes2(0), "", 0, 0);
        }
        return WitnessRecord({
            account: account,
            jurisdiction: record.jurisdiction,
            operator: _operators[account],
            registeredAt: record.registeredAt,
            revokedAt: record.revokedAt
        });
    }

    /// @dev ISO 3166-1 alpha-2 codes are two letters; stored as uppercase ASCII A-Z.
    function _isAlpha2(bytes2 code) private pure returns (bool) {
        bytes1 first = code[0];
        bytes1 second = code[1];
        return first >= "A" && first <= "Z" && second >= "A" && second <= "Z";
    }
}
