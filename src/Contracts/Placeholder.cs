namespace UNetPP.Cluster.Contracts;
