/**
 * The EC2 fleet as the YAML declares it: every `amazonEC2` cloud and its templates, with the nodes kept
 * for messages. Shared by the policy, the cross-checks, the summary and the IAM derivation.
 */
import { child, items, scalarText, type CascNode, type CascTree, type MapNode } from '../jcasc/nodes';

export interface TemplateView {
  readonly node: MapNode;
  readonly path: string;
  readonly description?: string;
  readonly type?: string;
  readonly labels: string[];
  get(key: string): CascNode | undefined;
  text(key: string): string | undefined;
}

export interface CloudView {
  readonly node: MapNode;
  readonly path: string;
  readonly name?: string;
  readonly templates: TemplateView[];
  get(key: string): CascNode | undefined;
  text(key: string): string | undefined;
}

export function ec2Clouds(tree: CascTree): CloudView[] {
  const clouds: CloudView[] = [];
  items(child(child(tree.root, 'jenkins'), 'clouds')).forEach((cloud, i) => {
    const node = child(cloud, 'amazonEC2');
    if (node?.kind !== 'map') return;
    const path = `jenkins.clouds[${i}].amazonEC2`;
    const templates: TemplateView[] = [];
    items(child(node, 'templates')).forEach((template, j) => {
      if (template.kind === 'map') templates.push(view(template, `${path}.templates[${j}]`));
    });
    clouds.push({ ...accessors(node), node, path, name: scalarText(child(node, 'name')), templates });
  });
  return clouds;
}

export function allTemplates(tree: CascTree): TemplateView[] {
  return ec2Clouds(tree).flatMap((c) => c.templates);
}

function view(node: MapNode, path: string): TemplateView {
  const labelString = scalarText(child(node, 'labelString')) ?? '';
  return {
    ...accessors(node),
    node,
    path,
    description: scalarText(child(node, 'description')),
    type: scalarText(child(node, 'type')),
    labels: labelString.split(/\s+/).filter(Boolean),
  };
}

function accessors(node: MapNode): Pick<TemplateView, 'get' | 'text'> {
  return { get: (key) => child(node, key), text: (key) => scalarText(child(node, key)) };
}
