// The least-privilege custom role the app provisions VMs with, defined and assigned in the VM
// subscription. Its actions live in ../provisioning-role.json so that the offline tests compare the
// very list that is deployed with the ARM operations the app performs.
targetScope = 'subscription'

@description('Required. Unique name suffix, so that several environments can share a tenant.')
param environmentName string

@description('Required. Principal ids (the app\'s managed identity) that get the role.')
param principalIds array

var role = loadJsonContent('../provisioning-role.json')

resource roleDefinition 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'vm-journal-provisioner', environmentName)
  properties: {
    roleName: 'vm-journal VM provisioner (${environmentName})'
    description: role.description
    type: 'CustomRole'
    assignableScopes: [
      subscription().id
    ]
    permissions: [
      {
        actions: role.actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in principalIds: {
    name: guid(subscription().id, principalId, roleDefinition.id)
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: roleDefinition.id
    }
  }
]

@description('Resource id of the custom role definition.')
output roleDefinitionId string = roleDefinition.id
