/**
 * Layering (DESIGN.md §3): common <- precompiles <- evm <- consensus <- rpc <- node, and session
 * depends on common only. Cross-module imports go through the module's index.ts.
 * Checked by `npm run lint:deps` in `npm test`.
 */
const layers = ['common', 'precompiles', 'evm', 'consensus', 'rpc', 'node']

function forbiddenAbove(layer) {
  const idx = layers.indexOf(layer)
  const above = layers.slice(idx + 1)
  return above.length === 0 ? [] : [`^(${above.join('|')})/`]
}

const rules = []
for (const layer of layers) {
  const above = forbiddenAbove(layer)
  if (above.length === 0) continue
  rules.push({
    name: `${layer}-not-above`,
    comment: `${layer}/ may not import from layers above it (${layers.slice(layers.indexOf(layer) + 1).join(', ')})`,
    severity: 'error',
    from: { path: `^${layer}/` },
    to: { path: above[0] },
  })
}
rules.push({
  name: 'session-only-common',
  comment: 'session/ depends on common/ only; it reaches the chain through an interface node/ injects',
  severity: 'error',
  from: { path: '^session/' },
  to: { path: '^(precompiles|evm|consensus|rpc|node)/' },
})
rules.push({
  name: 'nothing-imports-session-but-node',
  comment: 'only node/ wires session/ in',
  severity: 'error',
  from: { path: '^(common|precompiles|evm|consensus|rpc)/' },
  to: { path: '^session/' },
})
rules.push({
  name: 'cross-module-through-index',
  comment: 'another module is imported through its index.ts, never its inner files',
  severity: 'error',
  from: { path: '^(common|precompiles|evm|consensus|session|rpc|node)/' },
  to: {
    path: '^(common|precompiles|evm|consensus|session|rpc|node)/.+',
    pathNot: ['^$1/', '^(common|precompiles|evm|consensus|session|rpc|node)/index\\.ts$'],
  },
})
rules.push({
  name: 'no-circular',
  severity: 'error',
  from: {},
  to: { circular: true },
})

module.exports = {
  forbidden: rules,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
