import { describe, expect, it } from 'vitest';
import {
  DNS_LABEL_MAX_LENGTH,
  DNS_LABEL_PATTERN,
  dnsLabelProblem,
  dnsSubdomainProblem,
  engineServiceNameMessage,
  isDnsLabel,
  namespaceMessage,
  releaseNameMessage,
  releaseNameProblem,
  secretKeyProblem,
} from '../../../schema/facts/dns-label.js';
import { RELEASE_SENTINEL } from '../../../schema/facts/release-template.js';
import { VALUES_SCHEMA } from '../../../schema/schema.js';

describe('dnsLabelProblem', () => {
  it('is null for an RFC 1123 label of at most 63 characters', () => {
    for (const name of ['pd', 'llama-decode', '0x', 'a'.repeat(63)]) {
      expect(dnsLabelProblem(name)).toBeNull();
      expect(isDnsLabel(name)).toBe(true);
    }
  });

  it('says which rule a name breaks', () => {
    const rule =
      "is not a valid DNS label: use lower-case letters, digits and '-', starting and ending with a letter or digit";
    for (const name of ['Llama', 'llama_3', '-x', 'x-', '', 'a.b']) {
      expect(dnsLabelProblem(name)).toBe(rule);
      expect(isDnsLabel(name)).toBe(false);
    }
    expect(dnsLabelProblem('a'.repeat(64))).toBe('is 64 characters long; Kubernetes allows 63');
  });

  it("is the rule the values schema's dnsLabel definition applies", () => {
    const definitions = (VALUES_SCHEMA as { definitions: Record<string, unknown> }).definitions;
    expect(definitions['dnsLabel']).toEqual({
      type: 'string',
      pattern: DNS_LABEL_PATTERN,
      maxLength: DNS_LABEL_MAX_LENGTH,
    });
  });
});

describe('releaseNameProblem', () => {
  it('accepts at most 53 characters starting with a letter (release names prefix Service names)', () => {
    expect(releaseNameProblem('pd')).toBeNull();
    expect(releaseNameProblem('a'.repeat(53))).toBeNull();
    const rule = "is not valid: use at most 53 lower-case letters, digits and '-', starting with a letter";
    for (const release of ['a'.repeat(54), '1pd', 'Prod_1', 'pd-']) expect(releaseNameProblem(release)).toBe(rule);
  });
});

describe('releaseNameMessage, namespaceMessage', () => {
  it('say what is wrong in one sentence (the checks of meaning and the constructors use them), or null', () => {
    expect(releaseNameMessage('pd')).toBeNull();
    expect(releaseNameMessage('1pd')).toBe(
      "release name `1pd` is not valid: use at most 53 lower-case letters, digits and '-', starting with a letter (e.g. pd)",
    );
    expect(namespaceMessage('team-a')).toBeNull();
    expect(namespaceMessage('Team')).toMatch(/^namespace `Team` is not a valid DNS label: .* \(e\.g\. default\)$/);
  });
});

describe('engineServiceNameMessage', () => {
  it('is null while <release>-<model>-engine-service fits a DNS label, else says what to shorten', () => {
    expect(engineServiceNameMessage('pd', 'm'.repeat(45))).toBeNull();
    expect(engineServiceNameMessage('prod', 'm'.repeat(45))).toBe(
      `the engine Service \`prod-${'m'.repeat(45)}-engine-service\` would be 65 characters long; Kubernetes allows 63: shorten the model name (or the release name \`prod\`)`,
    );
  });

  it("does not count the chart generator's release sentinel (the chart was checked for its compiled release)", () => {
    expect(engineServiceNameMessage(RELEASE_SENTINEL, 'm'.repeat(45))).toBeNull();
  });
});

describe('dnsSubdomainProblem and secretKeyProblem', () => {
  it('accept dotted lower-case names up to 253 characters, and Secret keys of letters, digits, - _ .', () => {
    expect(dnsSubdomainProblem('sql.adapter-1')).toBeNull();
    expect(dnsSubdomainProblem('a'.repeat(253))).toBeNull();
    expect(dnsSubdomainProblem('a'.repeat(254))).toBe('is 254 characters long; Kubernetes allows 253');
    expect(dnsSubdomainProblem('SQL_adapter')).toBe(
      "is not a valid DNS subdomain: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
    );
    expect(secretKeyProblem('lora_adapter_credentials_Sql.v1-2')).toBeNull();
    expect(secretKeyProblem('a b')).toBe("is not a Secret key (letters, digits, '-', '_', '.')");
  });
});
