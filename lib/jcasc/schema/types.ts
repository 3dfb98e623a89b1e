/**
 * The shape of a JCasC data model, one description object per Java class, so adding a plugin section is
 * adding data, not code. Scalar kinds follow JCasC's coercion: a `string` attribute takes any scalar, an
 * `int` takes a number or a string of digits, a `bool` takes true/false or the strings "true"/"false".
 */
export type FieldType =
  | { readonly kind: 'string' | 'int' | 'number' | 'bool' | 'any' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'object'; readonly of: ClassSchema }
  | { readonly kind: 'list'; readonly of: FieldType }
  /** Mapping of names to scalars (Job DSL `providedEnv`). */
  | { readonly kind: 'stringMap' }
  /**
   * An extension point: a mapping with exactly one key, the symbol of the implementation (`local:`,
   * `amazonEC2:`), or just the symbol as a scalar when that implementation needs no attributes.
   */
  | {
      readonly kind: 'describable';
      readonly name: string;
      readonly variants: Readonly<Record<string, Variant>>;
    };

/**
 * Owner of a section that ships with Jenkins itself (core 2.580.1, or JCasC's own configurators): nothing to
 * install. Every other owner is a plugin artifactId, which must be installed (lib/casc/installed-plugins.ts).
 */
export const CORE = 'core';

export interface Variant {
  readonly type: FieldType;
  /** Plugin (artifactId) that provides this implementation, or CORE; a plugin must be installed. */
  readonly plugin?: string;
}

export interface Field {
  readonly type: FieldType;
  /** `@Deprecated` in the plugin: JCasC rejects it unless `configuration-as-code: {deprecated: warn}`. */
  readonly deprecated?: boolean;
  /** What to use instead, for the message. */
  readonly replacement?: string;
  /** Refused by this project although Jenkins may accept it; the text says why. */
  readonly rejected?: string;
  /**
   * Who provides this attribute: a plugin artifactId or CORE. Every section of the `security`,
   * `unclassified` and `tool` roots names its owner (test/contracts/jcasc-sections.test.ts holds them).
   */
  readonly plugin?: string;
}

export interface ClassSchema {
  /** Java class (simple name) or section name, for messages. */
  readonly name: string;
  /** Plugin that provides the class, or CORE; every use of a plugin's class requires the plugin installed. */
  readonly plugin?: string;
  readonly fields: Readonly<Record<string, Field>>;
}

export const str = (): Field => ({ type: { kind: 'string' } });
export const int = (): Field => ({ type: { kind: 'int' } });
export const num = (): Field => ({ type: { kind: 'number' } });
export const bool = (): Field => ({ type: { kind: 'bool' } });
export const anyValue = (): Field => ({ type: { kind: 'any' } });
export const stringMap = (): Field => ({ type: { kind: 'stringMap' } });
export const enumOf = (...values: string[]): Field => ({ type: { kind: 'enum', values } });
export const obj = (of: ClassSchema): Field => ({ type: { kind: 'object', of } });
export const list = (of: Field): Field => ({ type: { kind: 'list', of: of.type } });
export const describable = (name: string, variants: Record<string, Variant>): Field => ({
  type: { kind: 'describable', name, variants },
});
export const variant = (of: ClassSchema | Field, plugin?: string): Variant => ({
  type: 'fields' in of ? { kind: 'object', of } : of.type,
  plugin: plugin ?? ('fields' in of ? of.plugin : undefined),
});
export const deprecated = (field: Field, replacement?: string): Field => ({
  ...field,
  deprecated: true,
  replacement,
});
export const rejected = (field: Field, why: string): Field => ({ ...field, rejected: why });
/** A section and who provides it: a plugin artifactId, or CORE for one that ships with Jenkins. */
export const ownedBy = (field: Field, owner: string): Field => ({ ...field, plugin: owner });
